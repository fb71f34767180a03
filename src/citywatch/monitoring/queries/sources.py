"""A feed's health, for the sources page and API: how many stations, how many stale, the newest reading,
readings per hour over the last hour and day, refused readings in the last hour and day (by kind of
reason, and the last few), and dead letters in the last day. A handful of grouped queries for every source
of the page at once."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Max, Sum
from django.utils import timezone

from citywatch.monitoring.choices import RejectKind
from citywatch.monitoring.models import (
    DataSource,
    DeadLetter,
    Observation,
    RecentReject,
    RejectTally,
    Station,
)

RECENT_REJECTS = 5  # the last refused readings shown per source


@dataclass
class Health:
    stations: int = 0
    stale: int = 0
    last_reading: datetime.datetime | None = None
    readings_last_hour: int = 0
    readings_last_day: int = 0
    dead_letters_last_day: int = 0
    last_dead_letter: str = ""
    rejects_last_hour: int = 0
    rejects_last_day: int = 0
    rejects_by_kind: list = field(
        default_factory=list
    )  # [(kind, label, count)] over the last day, most first
    recent_rejects: list = field(default_factory=list)  # the last RecentReject rows, newest first

    @property
    def state(self) -> str:
        """ok (every station reports), degraded (some stale), down (none reports), empty (no station)."""
        if not self.stations:
            return "empty"
        if self.stale == 0:
            return "ok"
        return "down" if self.stale >= self.stations else "degraded"


def attach_health(sources: list[DataSource], now: datetime.datetime | None = None) -> list[DataSource]:
    now = now or timezone.now()
    ids = [s.pk for s in sources]
    by_id = {s.pk: Health() for s in sources}
    intervals = {s.pk: s.expected_interval_minutes * DataSource.STALE_FACTOR for s in sources}
    for source_id, seen in Station.objects.filter(source_id__in=ids).values_list("source_id", "last_seen_at"):
        h = by_id[source_id]
        h.stations += 1
        if seen is None or seen < now - datetime.timedelta(minutes=intervals[source_id]):
            h.stale += 1
        if seen is not None and (h.last_reading is None or seen > h.last_reading):
            h.last_reading = seen
    day = now - datetime.timedelta(days=1)
    hour = now - datetime.timedelta(hours=1)
    rows = (
        Observation.objects.filter(station__source_id__in=ids, time__gte=day, time__lte=now)
        .values("station__source_id")
        .annotate(n=Count("time"))
    )
    for row in rows:
        by_id[row["station__source_id"]].readings_last_day = row["n"]
    rows = (
        Observation.objects.filter(station__source_id__in=ids, time__gte=hour, time__lte=now)
        .values("station__source_id")
        .annotate(n=Count("time"))
    )
    for row in rows:
        by_id[row["station__source_id"]].readings_last_hour = row["n"]
    rows = (
        DeadLetter.objects.filter(source_id__in=ids, received_at__gte=day)
        .values("source_id")
        .annotate(n=Count("id"), last=Max("received_at"))
    )
    for row in rows:
        by_id[row["source_id"]].dead_letters_last_day = row["n"]
    for source_id, h in by_id.items():
        if h.dead_letters_last_day:
            letter = DeadLetter.objects.filter(source_id=source_id).order_by("-received_at", "-id").first()
            h.last_dead_letter = letter.reason if letter else ""
    _attach_rejects(ids, by_id, now)
    for s in sources:
        s.health = by_id[s.pk]
    return sources


def _attach_rejects(ids: list[int], by_id: dict[int, Health], now: datetime.datetime) -> None:
    hour = now.replace(minute=0, second=0, microsecond=0)
    day = hour - datetime.timedelta(hours=23)  # this hour and the 23 before it
    by_kind: dict[int, dict[str, int]] = {}
    rows = (
        RejectTally.objects.filter(source_id__in=ids, hour__gte=day, hour__lte=now)
        .values("source_id", "kind", "hour")
        .annotate(n=Sum("count"))
    )
    for row in rows:
        h = by_id[row["source_id"]]
        h.rejects_last_day += row["n"]
        if row["hour"] >= hour:
            h.rejects_last_hour += row["n"]
        kinds = by_kind.setdefault(row["source_id"], {})
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + row["n"]
    for source_id, kinds in by_kind.items():
        by_id[source_id].rejects_by_kind = [
            (kind, RejectKind(kind).label if kind in RejectKind.values else kind, n)
            for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
    for source_id in by_kind:
        by_id[source_id].recent_rejects = list(
            RecentReject.objects.filter(source_id=source_id).order_by("-at", "-id")[:RECENT_REJECTS]
        )
