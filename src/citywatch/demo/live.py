"""The demo's light live feed: every synthetic station keeps reporting quiet readings at its source's
interval, through the real ingestion function (rules evaluated), so a demo left running stays a quiet,
plausible city — no station goes stale — until ``citywatch simulate rainstorm`` brings weather.

``citywatch demo`` runs :func:`feed` once before serving and its worker every minute
(``CITYWATCH_DEMO_LIVE_FEED``, set by ``citywatch demo`` for its children). Each station continues from its
own last reading: water levels drift by millimetres, tides and temperatures follow their daily curves from
where they are, wind and gas detectors vary around their usual values, landslide monitors creep by
hundredths of a millimetre an hour, and it does not rain (the rain gauges send their dry hourly report).
A station silent for longer than ``MAX_GAP_HOURS`` (the demo was stopped) resumes from now, without
filling the gap.

While a storm is being replayed (``storm_kinds``: ``simulate rainstorm`` or ``simulate typhoon`` marks it
in the data directory), its stations (the rain gauges; for the typhoon also the wind and weather stations)
are left to the storm: a quiet report newer than the storm's readings would be evaluated first, and the
rules evaluate a reading only once.
"""

from __future__ import annotations

import datetime
import zlib
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from citywatch.demo.monitoring import KIND_VARIABLES, OTHER_VARIABLES

MAX_GAP_HOURS = 6
STORM_MARK = "demo-storm-until"


# --- the storm's mark -------------------------------------------------------------------------------------
def _mark() -> Path:
    return Path(settings.DATA_DIR) / STORM_MARK


def mark_storm(until: datetime.datetime | None, kinds: tuple[str, ...] = ("rain_gauge",)) -> None:
    """``simulate rainstorm`` (the rain gauges) or ``simulate typhoon`` (wind, weather and rain stations):
    the stations of ``kinds`` are the storm's until ``until`` (None: no longer)."""
    if until is None:
        _mark().unlink(missing_ok=True)
    else:
        _mark().write_text(until.isoformat() + "\n" + ",".join(kinds))


def storm_kinds(now: datetime.datetime) -> frozenset[str]:
    """The station kinds a storm being replayed holds now (none when no storm is)."""
    try:
        until, *rest = _mark().read_text().strip().split("\n")
        if datetime.datetime.fromisoformat(until) <= now:
            return frozenset()
    except (OSError, ValueError):
        return frozenset()
    return frozenset(k for k in (rest[0] if rest else "rain_gauge").split(",") if k)


def storm_running(now: datetime.datetime) -> bool:
    return bool(storm_kinds(now))


# --- quiet values -----------------------------------------------------------------------------------------
def _noise(station_pk: int, code: str, epochs: np.ndarray) -> np.ndarray:
    """Standard normal noise, the same for the same station, variable and time (deterministic)."""
    out = np.empty(len(epochs))
    for k, epoch in enumerate(epochs.tolist()):
        seed = zlib.crc32(f"{station_pk}/{code}/{epoch}".encode())
        out[k] = np.random.default_rng(seed).standard_normal()
    return out


def _hours(epochs: np.ndarray) -> np.ndarray:
    return epochs / 3600.0


def quiet_values(station_pk: int, code: str, last_value: float, last_epoch: int, epochs: np.ndarray):
    """The next quiet readings of one station's variable at ``epochs``, continuing from its last one."""
    noise = _noise(station_pk, code, epochs)
    t, t0 = _hours(epochs), last_epoch / 3600.0
    if code == "rain":
        return np.zeros(len(epochs))
    if code == "water_level":
        return last_value + np.cumsum(0.003 * noise)
    if code == "tide_level":  # the semi-diurnal tide, from where it is
        return last_value + 2.1 * (np.sin(2 * np.pi * t / 12.42) - np.sin(2 * np.pi * t0 / 12.42))
    if code == "temperature":  # the daily curve (warmest mid-afternoon, Beijing time), from where it is
        return (
            last_value
            + 4.0 * (np.sin(2 * np.pi * (t + 8 - 9) / 24.0) - np.sin(2 * np.pi * (t0 + 8 - 9) / 24.0))
            + 0.1 * noise
        )
    if code == "wind_speed":
        return np.maximum(0.3, 0.7 * last_value + 0.3 * 4.0 + 0.8 * noise)
    if code == "wind_gust":
        return np.maximum(0.5, 0.7 * last_value + 0.3 * 6.4 + 1.2 * noise)
    if code == "displacement":  # creep: hundredths of a millimetre an hour
        return last_value + 0.01 * (t - t0) + 0.05 * noise
    if code == "gas":
        return np.maximum(0.0, 0.7 * last_value + 0.3 * 0.5 + 0.3 * noise)
    return np.full(len(epochs), last_value)


def _due(last: datetime.datetime | None, now: datetime.datetime, step_s: int) -> np.ndarray:
    """The reporting times (multiples of the interval) after ``last`` up to ``now``, at most
    ``MAX_GAP_HOURS`` back."""
    end = int(now.timestamp())
    begin = end - MAX_GAP_HOURS * 3600
    if last is not None:
        begin = max(begin, int(last.timestamp()))
    first = (begin // step_s + 1) * step_s
    return np.arange(first, end + 1, step_s, dtype=np.int64)


# --- the feed ---------------------------------------------------------------------------------------------
def feed(now: datetime.datetime | None = None) -> dict:
    """Send every synthetic station's readings that are due (one ingestion batch per source). Returns
    ``{"accepted": n, "rejected": n, "sources": n}``."""
    from citywatch.monitoring.actions.ingest import Batch, ingest
    from citywatch.monitoring.models import DataSource, Observation, Station, Variable

    now = now or timezone.now()
    storm = storm_kinds(now)
    ranges = {v.code: (v.valid_min, v.valid_max, v.decimals) for v in Variable.objects.all()}
    totals = {"accepted": 0, "rejected": 0, "sources": 0}
    for source in DataSource.objects.filter(synthetic=True, active=True).order_by("pk"):
        stations = list(Station.objects.filter(source=source, synthetic=True, status="active").order_by("pk"))
        if storm:
            stations = [s for s in stations if s.kind not in storm]
        last = {}
        for o in Observation.objects.filter(
            station__in=stations, time=F("station__last_seen_at")
        ).select_related("variable"):
            last[(o.station_id, o.variable.code)] = o.value
        cols: dict[str, list] = {"station": [], "variable": [], "time": [], "value": []}
        step = source.expected_interval_minutes * 60
        for station in stations:
            epochs = _due(station.last_seen_at, now, step)
            if not len(epochs):
                continue
            since = int(station.last_seen_at.timestamp()) if station.last_seen_at else int(epochs[0]) - step
            for code in OTHER_VARIABLES.get(source.code, KIND_VARIABLES.get(station.kind, ())):
                if code not in ranges:
                    continue
                start = last.get((station.pk, code), 0.0 if code == "rain" else None)
                if start is None:  # a station without a reading of it: nothing to continue from
                    continue
                lo, hi, decimals = ranges[code]
                values = quiet_values(station.pk, code, start, since, epochs)
                values = np.round(np.clip(values, lo, hi), decimals)
                cols["station"] += [station.external_id] * len(epochs)
                cols["variable"] += [code] * len(epochs)
                cols["time"].append(epochs)
                cols["value"].append(values)
        if not cols["station"]:
            continue
        batch = Batch.from_columns(
            cols["station"],
            cols["variable"],
            np.concatenate(cols["time"]),
            np.concatenate(cols["value"]),
            source=source.code,
        )
        result = ingest(batch, source=source, now=now)
        totals["accepted"] += result.accepted
        totals["rejected"] += len(result.rejected)
        totals["sources"] += 1
    return totals
