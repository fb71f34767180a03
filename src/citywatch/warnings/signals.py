"""Meteorological warning signals computed from observations (CMA Order No. 16, 2007; DOMAIN.md §3.1).

A pure module (NumPy, no Django model): the warnings app passes readings as arrays (``Readings`` or a
``Series`` from ``citywatch.monitoring.evaluation``), each station's area, and the tables from its settings;
it gets back, per area, the highest level reached and the readings that triggered it. The system computes
and *proposes*; a person issues (the signal's "and likely to continue" is a forecaster's judgement).

Tables (configuration, :class:`SignalTables`; ``NATIONAL`` holds the published national defaults and
:func:`signal_tables` applies a settings override such as ``{"rainstorm": {"blue": {"mm": 40}}}``):

    hazard            blue              yellow              orange              red
    rainstorm         ≥ 50 mm in 12 h   ≥ 50 mm in 6 h      ≥ 50 mm in 3 h      ≥ 100 mm in 3 h
    typhoon           24 h: 6 / 8       24 h: 8 / 10        12 h: 10 / 12       6 h: 12 / 14
    gale              24 h: 6 / 7       12 h: 8 / 9         6 h: 10 / 11        6 h: 12 / 13
    high temperature  —                 ≥ 35 ℃, 3 days      ≥ 37 ℃ in 24 h      ≥ 40 ℃ in 24 h

(wind "N h: a / b": within N h, mean-wind level ≥ a *or* gust level ≥ b on the Chinese wind scale;
heat "3 days": daily maximum ≥ 35 ℃ three days running.)

How the rules read on observations
----------------------------------
* **Windows.** Every "in N h" / "within N h" is the trailing window ``(t − N h, t]`` ending at the station's
  newest reading t of that variable: a reading exactly N h older is outside, one a second younger inside.
* **Rainstorm.** Rain readings are millimetres per reporting interval, the interval ending at the reading's
  time; the accumulation of a window is the exact sum (values compared in millionths of a millimetre, so
  49.9 mm is below 50 and 50.0 reaches it) of the readings whose time is in the window. A reading whose
  interval straddles the window's start counts whole. A gauge is at the highest level whose criterion it
  meets.
* **Wind.** Speeds (m/s at 10 m) become levels of the Chinese wind scale (GB/T 28591-2012,
  :func:`wind_scale`): a speed is taken at the scale's resolution, rounded half up to 0.1 m/s (13.84 → 13.8
  → level 6; 13.85 and 13.9 → level 7), then looked up in the table's lower bounds; the table ends at level
  17 (56.1–61.2 m/s), and a faster wind is reported as level 17 ("17 or above"). A criterion "within N h
  mean ≥ a or gust ≥ b" is met when the highest mean-wind level among the station's mean-wind readings in
  the trailing N h reaches a, or the highest gust level among its gust readings in the trailing N h (each
  variable's window ends at its own newest reading) reaches b. *Gale* and *typhoon* share this arithmetic; a
  **typhoon** proposal additionally needs a typhoon context — a tropical cyclone affecting (or about to
  affect) the area, which the warnings app supplies from an official typhoon warning or a duty officer
  (``affected=``); without it no typhoon signal is proposed, whatever the wind. Where a typhoon signal holds
  for an area, the gale signal of that area is *subsumed* (:func:`without_subsumed`): the national gale
  signal is 大风（除台风外）, wind other than a typhoon's, so one wind gets one proposal, the typhoon's.
* **High temperature.** Days are calendar days in the city's time zone (``Asia/Shanghai`` by default). A
  day's maximum is the highest reading of that local day. *Yellow*: daily maxima ≥ 35 ℃ on three consecutive
  local days, the run ending today — or, while today has not (yet) reached 35 ℃, ending yesterday (a run that
  has reached three days therefore holds overnight until a whole day stays below); a day without readings
  breaks the run. *Orange* / *red*: a reading ≥ 37 / 40 ℃ in the trailing 24 h.
* **Areas.** An area (district) reaches a level when at least ``min_stations`` of its stations meet that
  level's criterion (default 1: any station); its level is the highest so reached.
* **Freshness.** With ``now`` and ``max_age_minutes``, a station whose newest reading is older than
  ``now − max_age_minutes`` takes no part (a silent gauge does not keep yesterday's storm alive).

Every result names the readings that triggered it (:class:`Trigger`: station index, time, value, variable):
for rain, every reading of the deciding window (their values add up to the accumulation); for wind, the
strongest mean-wind and/or gust reading of the window that met the criterion; for heat, the reading of each
deciding day's maximum, or the hottest reading of the 24 h window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from zoneinfo import ZoneInfo

import numpy as np

from citywatch.monitoring.evaluation import SCALE, Level, Readings, Series, quantise_one

HAZARDS = ("rainstorm", "typhoon", "gale", "high_temperature")
DEFAULT_TIME_ZONE = "Asia/Shanghai"

# GB/T 28591-2012: the lowest speed (m/s, 0.1 m/s resolution) of wind-scale levels 0 … 17.
WIND_SCALE_MS = (
    0.0, 0.3, 1.6, 3.4, 5.5, 8.0, 10.8, 13.9, 17.2, 20.8, 24.5, 28.5, 32.7, 37.0, 41.5, 46.2, 51.0, 56.1,
)  # fmt: skip
WIND_SCALE_TOP_MS = 61.2  # level 17 ends here; faster winds are reported as level 17 ("17 or above")


# --- tables ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RainCriterion:
    level: Level
    window_minutes: int
    mm: float


@dataclass(frozen=True)
class WindCriterion:
    level: Level
    window_minutes: int
    mean_scale: int
    gust_scale: int


@dataclass(frozen=True)
class HeatCriterion:
    """``days_running > 0``: daily maxima ≥ celsius on that many consecutive local days; otherwise a reading
    ≥ celsius in the trailing ``window_minutes``."""

    level: Level
    celsius: float
    days_running: int = 0
    window_minutes: int = 0


CRITERION_TYPES = {
    "rainstorm": RainCriterion,
    "gale": WindCriterion,
    "typhoon": WindCriterion,
    "high_temperature": HeatCriterion,
}


@dataclass(frozen=True)
class SignalTables:
    """The criteria of each hazard (one per level, in level order) and the wind scale."""

    rainstorm: tuple[RainCriterion, ...] = (
        RainCriterion(Level.BLUE, 12 * 60, 50.0),
        RainCriterion(Level.YELLOW, 6 * 60, 50.0),
        RainCriterion(Level.ORANGE, 3 * 60, 50.0),
        RainCriterion(Level.RED, 3 * 60, 100.0),
    )
    typhoon: tuple[WindCriterion, ...] = (
        WindCriterion(Level.BLUE, 24 * 60, 6, 8),
        WindCriterion(Level.YELLOW, 24 * 60, 8, 10),
        WindCriterion(Level.ORANGE, 12 * 60, 10, 12),
        WindCriterion(Level.RED, 6 * 60, 12, 14),
    )
    gale: tuple[WindCriterion, ...] = (
        WindCriterion(Level.BLUE, 24 * 60, 6, 7),
        WindCriterion(Level.YELLOW, 12 * 60, 8, 9),
        WindCriterion(Level.ORANGE, 6 * 60, 10, 11),
        WindCriterion(Level.RED, 6 * 60, 12, 13),
    )
    high_temperature: tuple[HeatCriterion, ...] = (
        HeatCriterion(Level.YELLOW, 35.0, days_running=3),
        HeatCriterion(Level.ORANGE, 37.0, window_minutes=24 * 60),
        HeatCriterion(Level.RED, 40.0, window_minutes=24 * 60),
    )
    wind_scale_ms: tuple[float, ...] = WIND_SCALE_MS

    def __post_init__(self):
        for hazard in CRITERION_TYPES:
            _check_criteria(hazard, getattr(self, hazard))
        bounds = self.wind_scale_ms
        if len(bounds) < 2 or bounds[0] != 0 or any(b <= a for a, b in zip(bounds, bounds[1:], strict=False)):
            raise ValueError(
                "wind_scale_ms: increasing lower bounds (m/s) of levels 0, 1, 2, …, starting at 0"
            )

    def as_table(self) -> dict:
        """The tables as plain data (the shape :func:`signal_tables` accepts as an override)."""
        out: dict = {"wind_scale_ms": list(self.wind_scale_ms)}
        for hazard in CRITERION_TYPES:
            out[hazard] = {
                c.level.code: {f.name: getattr(c, f.name) for f in fields(c) if f.name != "level"}
                for c in getattr(self, hazard)
            }
        return out


def _check_criteria(hazard: str, criteria: Sequence) -> None:
    levels = [c.level for c in criteria]
    if len(set(levels)) != len(levels) or levels != sorted(levels) or Level.NONE in levels:
        raise ValueError(f"{hazard}: one criterion per level, in level order")
    for c in criteria:
        where = f"{hazard} {c.level.code}"
        window = getattr(c, "window_minutes", 0)
        if isinstance(c, HeatCriterion):
            if (c.days_running > 0) == (c.window_minutes > 0):
                raise ValueError(f"{where}: give either days_running or window_minutes")
            if c.days_running < 0 or c.days_running > 31:
                raise ValueError(f"{where}: days_running must be 1–31")
        if window < 0 or window > 7 * 24 * 60 or int(window) != window:
            raise ValueError(f"{where}: window_minutes must be a whole number of minutes up to 7 days")
        if not isinstance(c, HeatCriterion) and window <= 0:
            raise ValueError(f"{where}: window_minutes must be > 0")
        if isinstance(c, RainCriterion) and not 0 < c.mm <= 10_000:
            raise ValueError(f"{where}: mm must be > 0")
        if isinstance(c, WindCriterion) and not (0 <= c.mean_scale <= 18 and 0 <= c.gust_scale <= 18):
            raise ValueError(f"{where}: wind-scale levels are 0–17 (18: never)")


NATIONAL = SignalTables()


def signal_tables(overrides: Mapping | None = None, base: SignalTables = NATIONAL) -> SignalTables:
    """``base`` with a settings override applied, e.g.::

        {"rainstorm": {"blue": {"mm": 40}},               # change one field of a level
         "gale": {"blue": None},                          # drop a level
         "high_temperature": {"blue": {"celsius": 33, "days_running": 2}},   # add a level
         "wind_scale_ms": [0.0, 0.3, …]}                  # another scale

    Unknown hazards, levels or fields are refused (ValueError) rather than ignored."""
    if not overrides:
        return base
    changes: dict = {}
    for hazard, table in overrides.items():
        if hazard == "wind_scale_ms":
            changes[hazard] = tuple(float(v) for v in table)
            continue
        if hazard not in CRITERION_TYPES:
            raise ValueError(
                f"unknown hazard {hazard!r} in the signal tables; one of {', '.join(CRITERION_TYPES)}"
            )
        kind = CRITERION_TYPES[hazard]
        names = {f.name for f in fields(kind)} - {"level"}
        current = {c.level: c for c in getattr(base, hazard)}
        for code, values in dict(table).items():
            level = Level.parse(code)
            if values is None:
                current.pop(level, None)
                continue
            unknown = set(values) - names
            if unknown:
                raise ValueError(f"{hazard} {level.code}: unknown field(s) {', '.join(sorted(unknown))}")
            if level in current:
                current[level] = replace(current[level], **values)
            else:
                missing = (
                    names
                    - set(values)
                    - ({"days_running", "window_minutes"} if kind is HeatCriterion else set())
                )
                if missing:
                    raise ValueError(f"{hazard} {level.code}: a new level needs {', '.join(sorted(missing))}")
                current[level] = kind(level=level, **values)
        changes[hazard] = tuple(current[level] for level in sorted(current))
    return replace(base, **changes)


# --- the wind scale --------------------------------------------------------------------------------
def wind_scale(speed_ms, bounds: Sequence[float] = WIND_SCALE_MS) -> np.ndarray:
    """Wind-scale level (int8) of each speed in m/s at 10 m: rounded half up to 0.1 m/s, then the highest
    level whose lower bound it reaches (level 17 for anything from 56.1 m/s up, "17 or above")."""
    speed = np.asarray(speed_ms, dtype=np.float64)
    if not (np.isfinite(speed).all() and (speed >= 0).all()):
        raise ValueError("wind speeds must be finite and ≥ 0 m/s")
    tenths = np.floor(speed * 10 + 0.5)
    lower = np.rint(np.asarray(bounds, dtype=np.float64) * 10)
    return (np.searchsorted(lower, tenths, side="right") - 1).astype(np.int8)


# --- results ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Trigger:
    """One reading that triggered a signal."""

    station: int
    time: int
    value: float
    variable: str


@dataclass(frozen=True)
class StationLevels:
    """Per station (at its newest reading): the highest level met, and per criterion whether it is met and
    its value (``value[:, c]``: mm accumulated; the higher wind-scale level of mean and gust; ℃)."""

    hazard: str
    criteria: tuple
    station: np.ndarray
    time: np.ndarray
    level: np.ndarray
    met: np.ndarray
    value: np.ndarray
    _triggers: Callable[[int, int], list[Trigger]] = field(repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.station)

    def triggers(self, row: int, criterion: int) -> list[Trigger]:
        """The readings behind criterion ``criterion`` at station row ``row`` (empty when not met)."""
        return self._triggers(row, criterion) if self.met[row, criterion] else []


@dataclass(frozen=True)
class AreaSignal:
    """An area at a level: ``value`` is the most severe station value under the deciding criterion
    (``criterion``); ``stations`` the stations meeting it; ``triggers`` their readings."""

    hazard: str
    area: int
    level: Level
    value: float
    criterion: RainCriterion | WindCriterion | HeatCriterion
    stations: tuple[int, ...]
    triggers: tuple[Trigger, ...]


def _series(readings: Readings | Series | None, now: int | None, max_age_minutes: int | None) -> Series:
    series = readings if isinstance(readings, Series) else Series.of(readings)
    if now is None or max_age_minutes is None or len(series) == 0:
        return series
    fresh_stations = series.stations[series.time[series.newest()] > int(now) - int(max_age_minutes) * 60]
    if len(fresh_stations) == len(series.stations):
        return series
    return Series.of(series.readings().take(np.isin(series.station, fresh_stations)))


def _per_station(readings, criteria: Sequence, now, max_age_minutes):
    """The series, each station's newest row, and empty ``met``/``value`` tables (station × criterion)."""
    series = _series(readings, now, max_age_minutes)
    newest = series.newest()
    shape = (len(newest), len(criteria))
    return series, newest, np.zeros(shape, dtype=bool), np.zeros(shape)


def _levels_of(criteria: Sequence, met: np.ndarray) -> np.ndarray:
    level = np.zeros(met.shape[0], dtype=np.int8)
    for c, criterion in enumerate(criteria):
        level[met[:, c]] = criterion.level
    return level


def _rows(series: Series, rows: np.ndarray, variable: str) -> list[Trigger]:
    return [
        Trigger(s, t, v, variable)
        for s, t, v in zip(
            series.station[rows].tolist(),
            series.time[rows].tolist(),
            series.value[rows].tolist(),
            strict=True,
        )
    ]


# --- rainstorm -------------------------------------------------------------------------------------
def rainstorm_levels(
    rain: Readings | Series,
    *,
    tables: SignalTables = NATIONAL,
    now: int | None = None,
    max_age_minutes: int | None = None,
) -> StationLevels:
    """Each gauge's rainstorm level from its trailing accumulations ending at its newest reading."""
    criteria = tables.rainstorm
    series, newest, met, value = _per_station(rain, criteria, now, max_age_minutes)
    lows = []
    for c, criterion in enumerate(criteria):
        lo = series.window_start(newest, criterion.window_minutes * 60)
        total = series.window_sum(lo, newest)
        met[:, c] = total >= quantise_one(criterion.mm)
        value[:, c] = total / SCALE
        lows.append(lo)

    def triggers(row: int, c: int) -> list[Trigger]:
        return _rows(series, np.arange(lows[c][row], newest[row] + 1), "rain")

    return StationLevels(
        "rainstorm",
        criteria,
        series.stations,
        series.time[newest],
        _levels_of(criteria, met),
        met,
        value,
        triggers,
    )


def rainstorm_levels_from_sums(
    station,
    time,
    sums: Mapping[int, np.ndarray],
    rows: Callable[[int, int], list[Trigger]],
    *,
    tables: SignalTables = NATIONAL,
    now: int | None = None,
    max_age_minutes: int | None = None,
) -> StationLevels:
    """:func:`rainstorm_levels` from accumulations summed elsewhere (the database, for the proposals of
    an ingested batch: ``warnings.queries.rain_accumulations``): per gauge ``station`` (indices), the
    ``time`` of its newest reading, and ``sums[window_minutes]`` the exact sum, in millionths of a
    millimetre (``quantise``: half to even), of its readings in the window ending there. ``rows(row,
    window_minutes)`` gives a window's readings when a trigger list asks for them. The same levels,
    values and readings as :func:`rainstorm_levels` over the readings themselves."""
    criteria = tables.rainstorm
    station = np.asarray(station, dtype=np.int64)
    time = np.asarray(time, dtype=np.int64)
    keep = np.ones(len(station), dtype=bool)
    if now is not None and max_age_minutes is not None:
        keep = time > int(now) - int(max_age_minutes) * 60
    order = np.argsort(station[keep], kind="stable")
    picked = np.flatnonzero(keep)[order]
    shape = (len(picked), len(criteria))
    met, value = np.zeros(shape, dtype=bool), np.zeros(shape)
    for c, criterion in enumerate(criteria):
        total = np.asarray(sums[criterion.window_minutes], dtype=np.int64)[picked]
        met[:, c] = total >= quantise_one(criterion.mm)
        value[:, c] = total / SCALE

    def triggers(row: int, c: int) -> list[Trigger]:
        return rows(int(picked[row]), criteria[c].window_minutes)

    return StationLevels(
        "rainstorm", criteria, station[picked], time[picked], _levels_of(criteria, met), met, value, triggers
    )


# --- gale and typhoon ------------------------------------------------------------------------------
def wind_levels(
    mean: Readings | Series | None,
    gust: Readings | Series | None,
    *,
    hazard: str = "gale",
    tables: SignalTables = NATIONAL,
    now: int | None = None,
    max_age_minutes: int | None = None,
) -> StationLevels:
    """Each station's gale (or, as if under a typhoon, typhoon) level from its mean-wind and gust readings
    (either may be None or lack a station)."""
    if hazard not in ("gale", "typhoon"):
        raise ValueError("hazard must be gale or typhoon")
    criteria = getattr(tables, hazard)
    parts = {
        "wind_speed": _series(mean, now, max_age_minutes),
        "wind_gust": _series(gust, now, max_age_minutes),
    }
    stations = np.union1d(parts["wind_speed"].stations, parts["wind_gust"].stations)
    n = len(stations)
    met = np.zeros((n, len(criteria)), dtype=bool)
    value = np.zeros((n, len(criteria)))
    newest_time = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    refs: dict[tuple[str, int], np.ndarray] = {}  # (variable, criterion) → series row per station (−1)
    for variable, series in parts.items():
        pos = series.rows_of(stations)
        have = pos >= 0
        newest = series.newest()[pos[have]]
        newest_time[have] = np.maximum(newest_time[have], series.time[newest])
        for c, criterion in enumerate(criteria):
            lo = series.window_start(newest, criterion.window_minutes * 60)
            arg = series.window_arg(lo, newest, "max")
            level = np.full(n, -1, dtype=np.int64)
            level[have] = wind_scale(series.value[arg], tables.wind_scale_ms)
            need = criterion.mean_scale if variable == "wind_speed" else criterion.gust_scale
            hit = level >= need
            met[:, c] |= hit
            value[:, c] = np.maximum(value[:, c], level)
            ref = np.full(n, -1, dtype=np.int64)
            ref[have] = arg
            refs[variable, c] = np.where(hit, ref, -1)

    def triggers(row: int, c: int) -> list[Trigger]:
        out = []
        for variable, series in parts.items():
            r = refs[variable, c][row]
            if r >= 0:
                out += _rows(series, np.array([r]), variable)
        return out

    return StationLevels(
        hazard, criteria, stations, newest_time, _levels_of(criteria, met), met, value, triggers
    )


# --- high temperature ------------------------------------------------------------------------------
def local_days(times, time_zone: str = DEFAULT_TIME_ZONE) -> np.ndarray:
    """The local calendar day (proleptic ordinal, ``date.toordinal()``) of each epoch-second time."""
    times = np.asarray(times, dtype=np.int64)
    if len(times) == 0:
        return np.zeros(0, np.int64)
    zone = ZoneInfo(time_zone)
    first = dt.datetime.fromtimestamp(int(times.min()), zone).date() - dt.timedelta(days=1)
    last = dt.datetime.fromtimestamp(int(times.max()), zone).date() + dt.timedelta(days=1)
    days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]  # one per day, not reading
    midnights = np.array(
        [int(dt.datetime.combine(d, dt.time(0), tzinfo=zone).timestamp()) for d in days], dtype=np.int64
    )
    return first.toordinal() + np.searchsorted(midnights, times, side="right") - 1


def high_temperature_levels(
    temperature: Readings | Series,
    *,
    tables: SignalTables = NATIONAL,
    time_zone: str = DEFAULT_TIME_ZONE,
    now: int | None = None,
    max_age_minutes: int | None = None,
) -> StationLevels:
    """Each station's high-temperature level from its daily maxima (local days) and trailing windows."""
    criteria = tables.high_temperature
    series, newest, met, value = _per_station(temperature, criteria, now, max_age_minutes)
    if len(series) == 0:
        no_level = np.zeros(0, np.int8)
        return StationLevels(
            "high_temperature", criteria, series.stations, series.time, no_level, met, value, None
        )
    q = series.q
    trigger_rows: dict[int, Callable[[int], np.ndarray]] = {}

    # one group per (station, local day): its maximum and the (latest) reading of it
    day = local_days(series.time, time_zone)
    gstart = np.flatnonzero(np.r_[True, (series.station[1:] != series.station[:-1]) | (day[1:] != day[:-1])])
    gmax = np.maximum.reduceat(q, gstart)
    sizes = np.diff(np.append(gstart, len(q)))
    gmax_row = np.maximum.reduceat(np.where(q == np.repeat(gmax, sizes), np.arange(len(q)), -1), gstart)
    gday, gstation = day[gstart], series.station[gstart]
    last_group = np.searchsorted(gstart, newest, side="right") - 1  # each station's newest day

    for c, criterion in enumerate(criteria):
        threshold = quantise_one(criterion.celsius)
        if criterion.window_minutes:
            lo = series.window_start(newest, criterion.window_minutes * 60)
            arg = series.window_arg(lo, newest, "max")
            met[:, c] = q[arg] >= threshold
            value[:, c] = series.value[arg]
            trigger_rows[c] = lambda row, arg=arg: arg[row : row + 1]
            continue
        days = criterion.days_running
        hot = gmax >= threshold
        follows = np.r_[False, (gstation[1:] == gstation[:-1]) & (gday[1:] == gday[:-1] + 1)]
        streak_start = ~(hot & np.r_[False, hot[:-1]] & follows)
        group_rows = np.arange(len(gstart))
        run_len = group_rows - np.maximum.accumulate(np.where(streak_start, group_rows, 0)) + 1
        # the run ends today, or yesterday while today has not reached the threshold
        prev = np.maximum(last_group - 1, 0)
        yesterday = (
            ~hot[last_group]
            & (last_group > 0)
            & (gstation[prev] == gstation[last_group])
            & (gday[prev] == gday[last_group] - 1)
        )
        end = np.where(yesterday, prev, last_group)
        ok = hot[end] & (run_len[end] >= days)
        met[:, c] = ok
        lowest = gmax[end].copy()
        for k in range(1, days):  # a loop over the days of the criterion, not over readings
            lowest = np.minimum(lowest, gmax[np.maximum(end - k, 0)])
        value[:, c] = np.where(ok, lowest / SCALE, gmax[last_group] / SCALE)
        trigger_rows[c] = lambda row, end=end, days=days: gmax_row[end[row] - days + 1 : end[row] + 1]

    def triggers(row: int, c: int) -> list[Trigger]:
        return _rows(series, trigger_rows[c](row), "temperature")

    return StationLevels(
        "high_temperature",
        criteria,
        series.stations,
        series.time[newest],
        _levels_of(criteria, met),
        met,
        value,
        triggers,
    )


# --- areas -----------------------------------------------------------------------------------------
def area_signals(
    levels: StationLevels,
    area_of_station,
    *,
    min_stations: int = 1,
    areas_in_context=None,
    hazard: str | None = None,
    max_triggers: int | None = None,
) -> list[AreaSignal]:
    """Per area (``area_of_station[station]``, −1: none), the highest level whose criterion at least
    ``min_stations`` of its stations meet, with the deciding criterion's stations and readings; areas at no
    level are left out. ``areas_in_context`` (bool per area) restricts the result (typhoon context).
    ``max_triggers``: stop asking for a station's readings once the area has that many (the first ones
    are the same; what a proposal keeps)."""
    if min_stations < 1:
        raise ValueError("min_stations must be ≥ 1")
    area_of_station = np.asarray(area_of_station, dtype=np.int64)
    if len(levels) and levels.station.max() >= len(area_of_station):
        raise ValueError("area_of_station must give an area (or −1) for every station index")
    area = area_of_station[levels.station] if len(levels) else np.zeros(0, np.int64)
    n_areas = int(max(area.max(initial=-1), -1)) + 1
    area_level = np.zeros(n_areas, dtype=np.int8)
    deciding = np.full(n_areas, -1, dtype=np.int64)
    placed = area >= 0
    for c, criterion in enumerate(levels.criteria):
        counts = np.bincount(area[levels.met[:, c] & placed], minlength=n_areas)
        reached = counts >= min_stations
        area_level[reached] = criterion.level
        deciding[reached] = c
    if areas_in_context is not None:
        context = np.zeros(n_areas, dtype=bool)
        given = np.asarray(areas_in_context, dtype=bool)
        context[: min(n_areas, len(given))] = given[:n_areas]
        area_level[~context] = 0
    out = []
    for a in np.flatnonzero(area_level > 0).tolist():  # a loop over signalling areas
        c = int(deciding[a])
        rows = np.flatnonzero((area == a) & levels.met[:, c]).tolist()
        triggers: list[Trigger] = []
        for row in rows:
            if max_triggers is not None and len(triggers) >= max_triggers:
                break
            triggers += levels.triggers(row, c)
        out.append(
            AreaSignal(
                hazard=hazard or levels.hazard,
                area=a,
                level=Level(int(area_level[a])),
                value=float(levels.value[rows, c].max()),
                criterion=levels.criteria[c],
                stations=tuple(int(levels.station[row]) for row in rows),
                triggers=tuple(triggers),
            )
        )
    return out


def rainstorm_signals(rain, area_of_station, *, min_stations: int = 1, **options) -> list[AreaSignal]:
    """Rainstorm levels per area (options: ``tables``, ``now``, ``max_age_minutes``)."""
    return area_signals(rainstorm_levels(rain, **options), area_of_station, min_stations=min_stations)


def gale_signals(mean, gust, area_of_station, *, min_stations: int = 1, **options) -> list[AreaSignal]:
    """Gale levels per area from mean wind and gust (options: ``tables``, ``now``, ``max_age_minutes``)."""
    levels = wind_levels(mean, gust, hazard="gale", **options)
    return area_signals(levels, area_of_station, min_stations=min_stations)


def typhoon_signals(
    mean, gust, area_of_station, *, affected, min_stations: int = 1, **options
) -> list[AreaSignal]:
    """Typhoon levels per area, only where a typhoon context holds: ``affected`` is True (the whole city is
    under a tropical cyclone's influence), False, or a bool per area index."""
    if affected is False or affected is None:
        return []
    levels = wind_levels(mean, gust, hazard="typhoon", **options)
    context = None if affected is True else np.asarray(affected, dtype=bool)
    return area_signals(levels, area_of_station, min_stations=min_stations, areas_in_context=context)


def without_subsumed(gale: Sequence[AreaSignal], typhoon: Sequence[AreaSignal]) -> list[AreaSignal]:
    """The gale signals left once the typhoon signals of the same computation are in (CMA Order No. 16
    defines the gale signal as 大风（除台风外）: wind *other than* a typhoon's): where a typhoon signal holds
    for an area, at any level, that area's gale signal is subsumed by it and left out — the duty officer
    is offered one warning for one wind, the typhoon's. Areas without a typhoon signal keep theirs."""
    covered = {signal.area for signal in typhoon}
    return [signal for signal in gale if signal.area not in covered]


def high_temperature_signals(
    temperature, area_of_station, *, min_stations: int = 1, **options
) -> list[AreaSignal]:
    """High-temperature levels per area (options: ``tables``, ``time_zone``, ``now``, ``max_age_minutes``)."""
    levels = high_temperature_levels(temperature, **options)
    return area_signals(levels, area_of_station, min_stations=min_stations)
