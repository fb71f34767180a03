"""CAP out, public: each published version at ``/cap/alerts/<identifier>.xml`` and the Atom feed of the
alerts in force at ``/cap/feed.atom`` (the CAP feed convention: an entry per alert linking its
document), then the Cancel of each alert that ended in the last ``CITYWATCH_CAP_FEED_CANCEL_HOURS``
hours (a reader learns it ended rather than seeing it vanish). Drills are never here (their CAP is in
the API, for those who may see them)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from citywatch.core.actions import absolute_url
from citywatch.warnings import queries
from citywatch.warnings.cap import CAP_MIME_TYPE, write_atom_feed
from citywatch.warnings.cap.reader import alert_from_element
from citywatch.warnings.cap.safexml import parse_document
from citywatch.warnings.choices import Source

ATOM = "application/atom+xml; charset=utf-8"


@login_not_required
@require_GET
def alert(request, identifier: str):
    version = queries.public_version(identifier)
    if version is None:
        raise Http404("no such alert")
    response = HttpResponse(version.cap.encode("utf-8"), content_type=f"{CAP_MIME_TYPE}; charset=utf-8")
    # A published version never changes.
    patch_cache_control(response, public=True, max_age=86400)
    response["ETag"] = f'"{version.sender}/{version.identifier}"'
    return response


@login_not_required
@require_GET
def feed(request):
    warnings = [w for w in queries.public_in_force() if w.source == Source.CITYWATCH]
    current = queries.current_versions(warnings)
    documents = [current[w.pk] for w in warnings if w.pk in current] + queries.public_recent_cancels()
    alerts = [alert_from_element(parse_document(v.cap.encode("utf-8"))) for v in documents]
    body = write_atom_feed(
        alerts,
        feed_url=absolute_url("/cap/feed.atom", request),
        site_url=absolute_url("/", request),
        title=settings.CITYWATCH_CAP_SENDER_NAME,
        subtitle="CAP 1.2",
    )
    response = HttpResponse(body, content_type=ATOM)
    patch_cache_control(response, public=True, max_age=settings.CITYWATCH_PUBLIC_MAX_AGE)
    return response
