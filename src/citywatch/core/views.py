"""Pages of the core app. Every page reads through ``queries`` (jurisdiction applied)."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from citywatch.core import actions, basemap, pages, queries
from citywatch.core.choices import AreaLevel, Role
from citywatch.core.errors import error_response
from citywatch.core.filters import AreaFilter, ChangeFilter
from citywatch.geo.tiles import tile_file
from citywatch.geo.tiles.pyramid import tile_range

PAGE_SIZE = 50


# Where each role starts (a URL name): team leaders on their orders (a phone page), the duty officers and
# commanders of the command centre on the duty screen; everyone else on the map.
LANDING = {Role.TEAM_LEADER: "my_dispatches", Role.DUTY_OFFICER: "duty", Role.COMMANDER: "duty"}


def landing_url(user) -> str:
    """Where a user starts (``LANDING``)."""
    return reverse(LANDING.get(getattr(user, "role", ""), "map"))


def home(request):
    return redirect(landing_url(request.user))


class LoginView(auth_views.LoginView):
    """The login page; after it, a safe ``next`` wins, else the user's landing page (``landing_url``)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return landing_url(self.request.user)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every logged-in user changes their own password here (old password, then the new one twice,
    checked by AUTH_PASSWORD_VALIDATORS). Also where a user whose password someone else chose is sent
    until they have chosen their own. Other sessions of the user end; their API tokens are revoked
    (unless CITYWATCH_KEEP_TOKENS_ON_PASSWORD_CHANGE)."""

    template_name = "core/password_change.html"

    def form_valid(self, form):
        user = actions.set_own_password(form.user, form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password has been changed."))
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self):
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return landing_url(self.request.user)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "next": self.request.GET.get("next", "")}


class ResetLinkView(auth_views.PasswordResetConfirmView):
    """The page behind a reset link an administrator issued (``actions.issue_reset_link``): the user
    chooses a new password without the old one. The link works once (and not after a newer link, a
    login or a password change); the token leaves the address bar at once (Django's redirect)."""

    template_name = "core/password_reset.html"
    token_generator = actions.reset_link_tokens

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        actions.set_own_password(form.user, form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, _("Your password has been set. Log in with it."))
        return HttpResponseRedirect(reverse("login"))


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked login (``AXES_LOCKOUT_CALLABLE``): 429 with the cool-down."""
    from django.conf import settings

    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)


@login_not_required
def api_not_found(request):
    return error_response(404, "No such API endpoint.")


def map_page(request):
    return render(request, "core/map.html", {"levels": AreaLevel})


def area_list(request):
    listing = pages.listing(
        request, AreaFilter, queries.areas_for(request.user).defer("boundary").order_by("code")
    )
    return render(
        request,
        "core/area_list.html",
        {
            "page": listing.page,
            "filters": listing.filters,
            "warning": listing.warning,
            "levels": AreaLevel.choices,
        },
    )


def area_detail(request, code):
    area = queries.area_for(request.user, code)
    children = queries.areas_for(request.user).filter(parent=area).defer("boundary").order_by("code")
    changes = queries.changes_of(request.user, area)[:50]
    return render(request, "core/area_detail.html", {"area": area, "children": children, "changes": changes})


def change_list(request):
    listing = pages.listing(request, ChangeFilter, queries.changes_for(request.user))
    return render(
        request,
        "core/change_list.html",
        {"page": listing.page, "filters": listing.filters, "warning": listing.warning},
    )


def change_detail(request, pk):
    change = queries.changes_for(request.user).filter(pk=pk).first()
    if change is None:
        raise Http404
    before, after = change.before or {}, change.after or {}
    rows = [
        (
            change.field_label(key),
            change.value_label(key, before.get(key)),
            change.value_label(key, after.get(key)),
            before.get(key) != after.get(key),
        )
        for key in sorted(set(before) | set(after))
    ]
    return render(request, "core/change_detail.html", {"change": change, "rows": rows})


# --- The basemap (public: it holds only public geography) ---------------------------------------------

TILE_CACHE_CONTROL = "public, max-age=31536000, immutable"  # a tile URL names its immutable version
MAX_TILE_ZOOM = 24


def _tile_not_found(message: str):
    response = error_response(404, message)  # in the user's language: not cached
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_safe
def basemap_style(request):
    """The MapLibre style shared by every map (``core/basemap.py``): revalidated on every load (ETag),
    since it names the tilesets' current versions."""
    body = json.dumps(basemap.style(request), ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    not_modified = get_conditional_response(request, etag=etag)
    response = not_modified or HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response


@login_not_required
@require_safe
def basemap_tile(request, tileset, version, z, x, y):
    """One vector tile of a published tileset version: 200 (gzip MVT, cached for good), 204 inside the
    pyramid where the tileset has nothing, 404 outside it or for an unknown tileset or version."""
    if tileset not in basemap.TILESETS:
        return _tile_not_found(_("No such tileset."))
    found = tile_file(basemap.tileset_dir(tileset), version)
    if found is None:
        return _tile_not_found(_("No such tileset version (the map's style has moved on: reload the page)."))
    reader, manifest = found
    info = manifest["tiles"]
    if not (info["minzoom"] <= z <= min(info["maxzoom"], MAX_TILE_ZOOM) and x < 2**z and y < 2**z):
        return _tile_not_found(_("No such tile."))
    x0, y0, x1, y1 = tile_range(tuple(info["bounds"]), z)
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return _tile_not_found(_("No such tile."))
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    etag = f'"{version}-{z}-{x}-{y}{"-gz" if gzip_ok else ""}"'
    built = parse_http_date_safe_iso(manifest.get("built_at"))
    not_modified = get_conditional_response(request, etag=etag, last_modified=built)
    if not_modified is not None:
        response = not_modified
    else:
        data = reader.tile(z, x, y)
        if data is None:
            response = HttpResponse(status=204)
        elif gzip_ok:
            response = HttpResponse(data, content_type="application/vnd.mapbox-vector-tile")
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(gzip.decompress(data), content_type="application/vnd.mapbox-vector-tile")
    response["ETag"] = etag
    if built is not None:
        response["Last-Modified"] = http_date(built)
    response["Cache-Control"] = TILE_CACHE_CONTROL
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


def parse_http_date_safe_iso(value) -> int | None:
    """Seconds since the epoch of a manifest's ``built_at`` (``2025-01-01T12:00:00Z``), or None."""
    try:
        return int(datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
    except ValueError:
        return None
