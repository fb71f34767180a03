"""Reads of the station registry and the stations' state, every one restricted to the user's jurisdiction
(``restrict`` / ``core.access.get_for``).

A station's state (``attach_state``), read for a page of stations in three queries:

- ``latest``: its readings at its newest time (``last_seen_at``, kept by the ingestion), per variable;
- ``level``: the level of its worst live alarm — the current evaluation (``current_level``) when the
  rule still reports one, else the level reached — and how many live alarms it has;
- ``stale``: no reading for three times its source's expected interval (or none ever). Staleness greys a
  station on the map, but a station with a live alarm keeps its alarm's colour.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citywatch.core import access
from citywatch.monitoring.choices import LEVEL_RANK, LIVE_STATES, AlarmKind
from citywatch.monitoring.models import Alarm, DataSource, Observation, Station

STATE_LABELS = {
    "normal": _("Normal"),
    "blue": _("Blue alarm"),
    "yellow": _("Yellow alarm"),
    "orange": _("Orange alarm"),
    "red": _("Red alarm"),
    "stale": _("Not reporting"),
}


def stations_for(user, action: str = "view"):
    return Station.objects.restrict(user, action).select_related("source", "area")


def station_for(user, pk: int, action: str = "view") -> Station:
    access.require(user, Station, "view")  # a role that may not read stations at all: 403, not 404
    return access.get_for(user, Station.objects.select_related("source", "area"), action, pk=pk)


def sources_for(user, action: str = "view"):
    return DataSource.objects.restrict(user, action).select_related("area")


def source_for(user, pk: int, action: str = "view") -> DataSource:
    access.require(user, DataSource, "view")
    return access.get_for(user, DataSource.objects.select_related("area"), action, pk=pk)


@dataclass
class Latest:
    variable: str
    name: str
    unit: str
    value: float
    time: datetime.datetime


def is_stale(station: Station, now: datetime.datetime | None = None) -> bool:
    if station.last_seen_at is None:
        return True
    now = now or timezone.now()
    minutes = station.source.expected_interval_minutes * DataSource.STALE_FACTOR
    return station.last_seen_at < now - datetime.timedelta(minutes=minutes)


def worst_level(alarms) -> str:
    best, best_rank = "", 0
    for alarm in alarms:
        level = alarm.current_level or alarm.level
        rank = LEVEL_RANK.get(level, 0)
        if rank > best_rank:
            best, best_rank = level, rank
    return best


def attach_state(stations: list[Station], now: datetime.datetime | None = None) -> list[Station]:
    """Set ``latest`` (list of ``Latest``), ``level`` (blue … red or ""), ``live_alarms`` (live rule alarms),
    ``stale`` and ``state`` (the map's colour key: a level, "normal", "stale") on each station."""
    now = now or timezone.now()
    ids = [s.pk for s in stations]
    latest: dict[int, list[Latest]] = {pk: [] for pk in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = (
            Observation.objects.filter(station_id__in=chunk, time=F("station__last_seen_at"))
            .select_related("variable")
            .order_by("station_id", "variable__code")
        )
        for o in rows:
            latest[o.station_id].append(
                Latest(o.variable.code, o.variable.name, o.variable.unit, o.value, o.time)
            )
    live: dict[int, list[Alarm]] = {pk: [] for pk in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for alarm in Alarm.objects.filter(station_id__in=chunk, state__in=LIVE_STATES).only(
            "id", "station_id", "level", "current_level", "kind", "state"
        ):
            live[alarm.station_id].append(alarm)
    for s in stations:
        s.latest = latest[s.pk]
        rule_alarms = [a for a in live[s.pk] if a.kind == AlarmKind.RULE]
        s.live_alarms = len(rule_alarms)
        s.level = worst_level(rule_alarms)
        s.stale = is_stale(s, now)
        s.state = s.level or ("stale" if s.stale else "normal")
        s.state_label = STATE_LABELS[s.state]
    return stations
