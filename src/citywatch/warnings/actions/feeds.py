"""Polling official CAP feeds (the worker): a conditional GET of each active feed (``CapFeed`` rows, and
the URLs of ``CITYWATCH_CAP_FEEDS``, which become rows), each entry fetched once (``FeedEntry``: the entry's
id), its alert imported by ``import_alert`` — an alert already held is not fetched again when the feed
names its identifier. A feed that fails keeps its error on the row; nothing else stops."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from citywatch.core.errors import ActionError
from citywatch.warnings import cap
from citywatch.warnings.actions.importing import import_alert
from citywatch.warnings.models import CapFeed, FeedEntry, WarningVersion

log = logging.getLogger(__name__)
MAX_ENTRIES_PER_POLL = 200


def configured_feeds() -> list[CapFeed]:
    """The active feeds, the settings' URLs included (created as rows the first time)."""
    for url in settings.CITYWATCH_CAP_FEEDS:
        CapFeed.objects.get_or_create(url=url, defaults={"name": url[:120]})
    return list(CapFeed.objects.filter(active=True).order_by("pk"))


def _entry_alert(feed: CapFeed, entry: cap.FeedEntry) -> bytes:
    if entry.embedded_alert is not None:
        return entry.embedded_alert
    if not entry.alert_url:
        raise ActionError("the entry has neither an embedded alert nor a CAP link")
    result = cap.fetch(
        entry.alert_url,
        max_bytes=settings.CITYWATCH_CAP_MAX_BYTES,
        allow_private_addresses=feed.allow_private,
    )
    return result.body or b""


def poll_feed(feed: CapFeed) -> dict[str, int]:
    """One conditional GET of ``feed`` and the import of its new entries. Returns counts."""
    counts = {"entries": 0, "imported": 0, "held": 0, "refused": 0}
    try:
        result = cap.fetch(
            feed.url,
            etag=feed.etag or None,
            last_modified=feed.last_modified or None,
            allow_private_addresses=feed.allow_private,
        )
    except cap.FetchFailed as exc:
        CapFeed.objects.filter(pk=feed.pk).update(polled_at=timezone.now(), last_error=str(exc)[:2000])
        log.warning("event=capfeed.failed feed=%s error=%s", feed.pk, exc)
        return counts
    if result.not_modified:
        CapFeed.objects.filter(pk=feed.pk).update(polled_at=timezone.now(), last_error="")
        return counts
    try:
        parsed = cap.read_feed(result.body or b"", base_url=result.url)
    except cap.FeedRefused as exc:
        CapFeed.objects.filter(pk=feed.pk).update(polled_at=timezone.now(), last_error=str(exc)[:2000])
        return counts
    seen = set(FeedEntry.objects.filter(feed=feed).values_list("entry_id", flat=True))
    for entry in parsed.entries[:MAX_ENTRIES_PER_POLL]:
        key = (entry.entry_id or entry.alert_url or entry.identifier or "")[:500]
        if not key or key in seen:
            continue
        counts["entries"] += 1
        outcome = ""
        identifier = entry.identifier or ""
        if identifier and WarningVersion.objects.filter(identifier=identifier).exists():
            counts["held"] += 1
            outcome = "held"
        else:
            try:
                imported = import_alert(None, _entry_alert(feed, entry))
                identifier = imported.version.identifier
                outcome = "imported" if imported.created else "held"
                counts["imported" if imported.created else "held"] += 1
            except (ActionError, cap.FetchFailed) as exc:
                counts["refused"] += 1
                outcome = f"refused: {exc}"[:500]
        with transaction.atomic():
            FeedEntry.objects.get_or_create(
                feed=feed, entry_id=key, defaults={"identifier": identifier[:255], "outcome": outcome}
            )
        seen.add(key)
    CapFeed.objects.filter(pk=feed.pk).update(
        polled_at=timezone.now(),
        etag=(result.etag or "")[:255],
        last_modified=(result.last_modified or "")[:64],
        last_error="",
    )
    return counts


def poll_feeds() -> dict[str, int]:
    total = {"entries": 0, "imported": 0, "held": 0, "refused": 0}
    for feed in configured_feeds():
        for key, value in poll_feed(feed).items():
            total[key] += value
    return total
