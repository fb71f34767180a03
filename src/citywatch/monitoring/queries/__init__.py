"""The monitoring hub's reads, restricted to what the caller may see (``core.access``): one call fetches
and checks (404 outside the jurisdiction, 403 when the role may not).

This module holds the reads of the API (sources, stations, rules, alarms, the downsampled series);
``queries.stations`` the station registry's pages (each station's state: newest readings, worst live
alarm, staleness) and ``queries.sources`` the feeds' health."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.db.models import Case, IntegerField, Value, When

from citywatch.core import access
from citywatch.monitoring.choices import LEVEL_RANK, LIVE_STATES
from citywatch.monitoring.models import Alarm, AlarmEvent, DataSource, DeadLetter, Rule, Station, Variable


def variables():
    return Variable.objects.order_by("code")


def sources_for(user, action: str = "view"):
    return DataSource.objects.restrict(user, action).select_related("area")


def stations_for(user, action: str = "view"):
    return Station.objects.restrict(user, action).select_related("area", "source")


def station_for(user, pk: int, action: str = "view") -> Station:
    return access.get_for(user, Station.objects.select_related("area", "source"), action, pk=pk)


def rules_for(user, action: str = "view"):
    return Rule.objects.restrict(user, action).select_related("variable", "area", "source", "target_area")


def rule_for(user, pk: int, action: str = "view") -> Rule:
    return access.get_for(
        user, Rule.objects.select_related("variable", "area", "source", "target_area"), action, pk=pk
    )


def alarms_for(user, action: str = "view"):
    return Alarm.objects.restrict(user, action).select_related(
        "station__area", "station__source", "rule__variable", "acknowledged_by", "closed_by"
    )


# An alarm's urgency: a live one (open or acknowledged) ranks by its level, red 4 … blue 1; a cleared or
# closed one 0. ``urgent_first`` orders by it, then the newest first.
URGENCY = Case(
    *(When(state__in=LIVE_STATES, level=level, then=Value(rank)) for level, rank in LEVEL_RANK.items()),
    default=Value(0),
    output_field=IntegerField(),
)


def urgent_first(qs):
    """Alarms as a duty officer reads them: the live ones first, the highest level first, then the newest;
    the cleared and closed ones after them, the newest first (the alarm list's and the API's default)."""
    return qs.annotate(urgency=URGENCY).order_by("-urgency", "-opened_at", "-id")


def live_alarms_for(user):
    return alarms_for(user).filter(state__in=LIVE_STATES)


def alarm_for(user, pk: int, action: str = "view") -> Alarm:
    return access.get_for(
        user,
        Alarm.objects.select_related("station__area", "station__source", "rule__variable", "acknowledged_by"),
        action,
        pk=pk,
    )


def events_of(alarm: Alarm):
    return AlarmEvent.objects.filter(alarm=alarm).select_related("user").order_by("id")


def dead_letters_for(user):
    return DeadLetter.objects.restrict(user, "view").select_related("source")


# --- time series, downsampled on the server ----------------------------------------------------------
AGGREGATES = ("raw", "mean", "min", "max", "sum", "last", "count")
NICE_INTERVALS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)
MAX_RAW_POINTS = 10_000
TARGET_POINTS = 2_000


@dataclass
class SeriesOut:
    station: Station
    variable: Variable
    since: dt.datetime
    until: dt.datetime
    agg: str
    interval: int | None
    time: list
    value: list
    count: list | None
    readings: int


def nice_interval(span_s: int, target: int = TARGET_POINTS) -> int:
    for step in NICE_INTERVALS:
        if span_s / step <= target:
            return step
    return NICE_INTERVALS[-1]


def series(
    station: Station, variable: Variable, since: dt.datetime, until: dt.datetime, agg: str = "raw",
    interval: int | None = None,
) -> SeriesOut:  # fmt: skip
    """The readings of one station's variable in (since, until], raw or aggregated per ``interval`` seconds
    (buckets aligned to the epoch; each bucket's time is its start). Raw series longer than
    ``MAX_RAW_POINTS`` are averaged over a nice interval instead (the answer says which)."""
    from citywatch.monitoring.actions.rules import load_readings

    start, end = int(since.timestamp()), int(until.timestamp())
    readings = load_readings(variable.pk, np.array([station.pk]), start, end)
    order = np.argsort(readings.time, kind="stable")
    t, v = readings.time[order], readings.value[order]
    if agg == "raw" and len(t) > MAX_RAW_POINTS:
        agg, interval = "mean", interval or nice_interval(end - start)
    if agg == "raw":
        return SeriesOut(station, variable, since, until, agg, None, _times(t), v.tolist(), None, len(t))
    interval = interval or nice_interval(end - start)
    bucket = (t // interval) * interval
    if not len(t):
        return SeriesOut(station, variable, since, until, agg, interval, [], [], [], 0)
    firsts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    counts = np.diff(np.r_[firsts, len(t)])
    if agg == "mean":
        values = np.add.reduceat(v, firsts) / counts
    elif agg == "sum":
        values = np.add.reduceat(v, firsts)
    elif agg == "min":
        values = np.minimum.reduceat(v, firsts)
    elif agg == "max":
        values = np.maximum.reduceat(v, firsts)
    elif agg == "last":
        values = v[np.r_[firsts[1:] - 1, len(t) - 1]]
    else:
        values = counts.astype(np.float64)
    return SeriesOut(
        station,
        variable,
        since,
        until,
        agg,
        interval,
        _times(bucket[firsts]),
        values.tolist(),
        counts.tolist(),
        len(t),
    )


def _times(epochs: np.ndarray) -> list[dt.datetime]:
    return [dt.datetime.fromtimestamp(x, dt.UTC) for x in epochs.tolist()]
