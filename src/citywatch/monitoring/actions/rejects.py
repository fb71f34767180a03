"""Each source's refused readings, kept bounded for its feed health (the sources page and API).

The ingestion answers every refused reading with its reason; :func:`record` (called by ``ingest`` for
each batch) also counts them per source, hour and kind of reason (``RejectTally``: one row per source ×
hour × kind, an upsert, ``CITYWATCH_REJECT_RETENTION_DAYS`` kept) and keeps the source's last
``RecentReject.RECENT_PER_SOURCE`` refused readings (station id, variable code, kind) — never one row per
refused reading, so a hostile feed sending millions of bad readings writes a few rows an hour.

A refused reading belongs to the source it named, the source of the batch (an MQTT topic, a pull
adapter, a feed's only source) or the one source whose station id it used; a reading that names no known
source is only in the answer. The kind is read back from the reason's text (the ingestion's messages in
the language it answered in), so the page shows it in the reader's language.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citywatch.monitoring.choices import RejectKind
from citywatch.monitoring.models import DataSource, RecentReject, RejectTally, Station

MAX_LOOKUP_IDS = 2000  # station ids looked up to find a refused reading's source, per batch

# The ingestion's reasons (``actions.ingest``) and their kinds; a reason not listed is ``other``.
REASONS = [
    (
        gettext_noop("a reading must be an object with station, variable, time and value"),
        RejectKind.MALFORMED,
    ),
    (gettext_noop("no station id (a text of 1 to 64 characters)"), RejectKind.MALFORMED),
    (gettext_noop("no variable code"), RejectKind.MALFORMED),
    (gettext_noop("source must be a source code"), RejectKind.MALFORMED),
    (gettext_noop("correction must be true or false"), RejectKind.MALFORMED),
    (gettext_noop("unknown quality flag (good, suspect, estimated or corrected)"), RejectKind.MALFORMED),
    (gettext_noop("unknown station %(id)s"), RejectKind.UNKNOWN_STATION),
    (
        gettext_noop("station id %(id)s is used by several sources; name the source"),
        RejectKind.UNKNOWN_STATION,
    ),
    (gettext_noop("station %(id)s belongs to another source"), RejectKind.NOT_ALLOWED),
    (gettext_noop("you may not correct readings"), RejectKind.NOT_ALLOWED),
    (gettext_noop("unknown variable %(code)s"), RejectKind.UNKNOWN_VARIABLE),
    (gettext_noop("not a number"), RejectKind.NOT_A_NUMBER),
    (gettext_noop("not a finite number (NaN or infinity)"), RejectKind.NOT_A_NUMBER),
    (
        gettext_noop(
            "%(value)s %(unit)s is outside the valid range of %(name)s (%(min)s to %(max)s %(unit)s)"
        ),
        RejectKind.OUT_OF_RANGE,
    ),
    (gettext_noop("no time"), RejectKind.BAD_TIME),
    (gettext_noop("not an ISO 8601 time"), RejectKind.BAD_TIME),
    (gettext_noop("time without a UTC offset (write it as 2024-06-01T08:00:00+08:00)"), RejectKind.BAD_TIME),
    (gettext_noop("time before 1970"), RejectKind.BAD_TIME),
    (gettext_noop("time more than %(minutes)s minutes in the future"), RejectKind.FUTURE_TIME),
    (
        gettext_noop("another value for the same station, variable and time earlier in this batch"),
        RejectKind.CONFLICT,
    ),
    (
        gettext_noop(
            "a different value is stored for this station, variable and time; send it as a correction"
        ),
        RejectKind.CONFLICT,
    ),
]
_PLACEHOLDER = re.compile(r"%\\\(\w+\\\)s")
_patterns: dict[str, list[tuple[re.Pattern, str]]] = {}


def _compiled() -> list[tuple[re.Pattern, str]]:
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language not in _patterns:
        _patterns[language] = [
            (re.compile("^" + _PLACEHOLDER.sub(".*", re.escape(_(msgid))) + "$", re.DOTALL), kind)
            for msgid, kind in REASONS
        ]
    return _patterns[language]


def kind_of(reason: str) -> str:
    """The kind of one of the ingestion's reasons (in the active language)."""
    for pattern, kind in _compiled():
        if pattern.match(reason):
            return kind
    return RejectKind.OTHER


def _sources_of(batch, rows: list[int], source, writer, station_pk) -> dict[int, int]:
    """Row → source id for the refused rows that belong to one."""
    fixed = None
    if source is not None:
        fixed = getattr(source, "pk", source)
    elif writer is not None and writer.feed:
        fed = list(DataSource.objects.filter(feed_user=writer.user).values_list("pk", flat=True)[:2])
        fixed = fed[0] if len(fed) == 1 else None
    if fixed is not None:
        return dict.fromkeys(rows, int(fixed))
    owner: dict[int, int] = {}
    named = {}
    if batch.source:
        codes = {batch.source[i] for i in rows if batch.source[i]}
        named = dict(DataSource.objects.filter(code__in=codes).values_list("code", "pk")) if codes else {}
    resolved = [i for i in rows if station_pk is not None and station_pk[i] >= 0]
    if resolved:
        by_station = dict(
            Station.objects.filter(pk__in={int(station_pk[i]) for i in resolved}).values_list(
                "pk", "source_id"
            )
        )
        for i in resolved:
            owner[i] = by_station.get(int(station_pk[i]))
    ids = sorted({batch.station[i] for i in rows if i not in owner and batch.station[i]})[:MAX_LOOKUP_IDS]
    unique: dict[str, int | None] = {}
    for ext, source_id in Station.objects.filter(external_id__in=ids).values_list("external_id", "source_id"):
        unique[ext] = source_id if ext not in unique else None  # an id two sources use tells nothing
    for i in rows:
        if i in owner:
            continue
        code = batch.source[i] if batch.source else None
        found = named.get(code) if code else unique.get(batch.station[i])
        if found is not None:
            owner[i] = found
    return {i: s for i, s in owner.items() if s is not None}


def record(batch, rejected, *, source=None, writer=None, station_pk=None, now=None) -> None:
    """Count ``rejected`` (the answer's ``Rejection`` list) per source and keep the last ones (its own
    transaction, or the caller's)."""
    if not rejected:
        return
    now = now or timezone.now()
    reasons = {r.index: r.reason for r in rejected}
    owner = _sources_of(batch, sorted(reasons), source, writer, station_pk)
    if not owner:
        return
    kinds: dict[str, str] = {}
    counts: dict[tuple[int, str], int] = {}
    last: dict[int, list[tuple[int, str]]] = {}
    for i, source_id in owner.items():
        reason = reasons[i]
        kind = kinds.get(reason)
        if kind is None:
            kind = kinds[reason] = kind_of(reason)  # (a batch is bounded: CITYWATCH_INGEST_MAX_READINGS)
        counts[(source_id, kind)] = counts.get((source_id, kind), 0) + 1
        last.setdefault(source_id, []).append((i, kind))
    hour = now.replace(minute=0, second=0, microsecond=0)
    keep = RecentReject.RECENT_PER_SOURCE
    table = RejectTally._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (source_id, hour, kind, count) VALUES (%s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (source_id, hour, kind) DO UPDATE SET count = {table}.count + excluded.count",
            [(s, hour, k, n) for (s, k), n in sorted(counts.items())],
        )
        RejectTally.objects.filter(
            source_id__in=list(last),
            hour__lt=hour - dt.timedelta(days=settings.CITYWATCH_REJECT_RETENTION_DAYS),
        ).delete()
        RecentReject.objects.bulk_create(
            RecentReject(
                source_id=source_id,
                at=now,
                kind=kind,
                station=str(batch.station[i] or "")[:64],
                variable=str(batch.variable[i] or "")[:48],
            )
            for source_id, rows in sorted(last.items())
            for i, kind in rows[-keep:]
        )
        for source_id in last:
            old = list(
                RecentReject.objects.filter(source_id=source_id)
                .order_by("-at", "-id")
                .values_list("pk", flat=True)[keep : keep + 1000]
            )
            if old:
                RecentReject.objects.filter(pk__in=old).delete()
