"""Monitoring rules evaluated per batch with NumPy, replayed over a history, and the alarm state machine.

A pure module: NumPy only, no Django model, no database. The monitoring app fetches readings, calls these
functions and writes what they return; ``warnings/signals.py`` builds on the same window arithmetic.

Readings and the window context
-------------------------------
A batch is three parallel arrays of one variable (:class:`Readings`): ``station`` (int indices ≥ 0 that
the app maps to its stations), ``time`` (int64 epoch seconds, UTC) and ``value`` (float64, finite).
Windows need each station's recent history; the app fetches it in one query and the two are merged into a
:class:`Series` — every reading sorted by (station, time), one per (station, time) (a duplicate keeps the
last one given, so pass ``Series.of(history, batch)`` and a re-sent or corrected batch value wins).
The history a batch needs is every reading of the batch's stations (same variable) with
``time > history_start(batch, rules)``, i.e. the trailing longest window before the batch's oldest reading::

    SELECT station_id, time, value FROM observation
     WHERE variable_id = %s AND station_id = ANY(%s) AND time > %s      -- history_start(batch, rules)

(with the time index or, on PostgreSQL, the BRIN index and the partitions of the time range; no upper
bound: readings newer than the batch, if any, belong to the station's present state).

Exact values
------------
Readings are decimal numbers. To compare them with thresholds exactly (49.9 mm is not 50 mm, and 10.1 +
19.9 + 20.0 mm *is* 50 mm, which float addition does not promise), every value is quantised to
10⁻⁶ of its unit (``SCALE``) and all sums, differences and comparisons are made on int64 integers; a
mean is compared as a fraction (``sum ≥ threshold × count``) without rounding. The ``value`` a result
reports is the float of that exact number (``num / SCALE / den``). Values beyond ±1e9 are refused.

Rule kinds (:class:`Rule`)
--------------------------
* ``threshold`` — the newest reading compared with each level's threshold by ``op`` (``>``, ``>=``, ``<``,
  ``<=``).
* ``window`` — an aggregate (``sum``, ``mean``, ``max``, ``min``) of the readings with time in
  ``(t − N min, t]``, t the evaluated (newest) reading: a reading exactly N minutes older is outside, one
  a second younger is inside (e.g. 3-hour rainfall: ``sum`` over 180 minutes).
* ``rate`` — a ``rise`` (newest value minus the minimum of the trailing window) or a ``fall`` (the maximum
  minus the newest value) of at least X within Y minutes; the value is never negative.
* ``no_data`` — minutes since each station's last reading at ``now`` (:func:`evaluate_no_data`); a station
  that never reported is at the highest level with value ``inf``.

Up to four levels (:class:`Level`: blue < yellow < orange < red), each with its own threshold; thresholds
must grow with the level for ``>``/``>=`` and shrink for ``<``/``<=``. The level of an evaluation is the
highest level whose comparison holds. Each result names the readings that decided it: ``time`` (the
evaluated reading, the window's last), ``first_time`` (the window's first reading), ``ref_time`` (the
reading whose value decided: the newest for ``threshold``, ``sum`` and ``mean``; the extreme reading for
``max``/``min``; the minimum (rise) or maximum (fall) for ``rate``; the latest one on ties) and ``count``.

Alarms: hysteresis, hold time, no downgrade
-------------------------------------------
:func:`step_alarm` is the state machine for one rule × station (``AlarmState``: the alarm's level, since
when the value has been safe, the last evaluated time); :func:`advance_alarms` is the same machine for
arrays of evaluations, and :func:`track_alarms` evaluates every new reading of a batch and runs it, so a
batch of 500 readings per station gives exactly the transitions that 500 single-reading batches would.

* **open** when there is no open alarm and a level is reached;
* **escalate** in place when a higher level is reached (at once: danger is not debounced);
* **hold** otherwise while open. *An alarm never downgrades until it clears*: its level is the highest
  reached since it opened, the level a duty officer was told and acted on; the current evaluation
  (``Evaluation.level``) is reported beside it, so a screen can say "red (now yellow)".
* **clear** only when the value has been *safe* — below the lowest defined level's threshold minus
  ``margin`` (above it plus ``margin`` for ``<``/``<=`` rules; for ``no_data``, fewer minutes of silence
  than the lowest threshold minus ``margin``) — on every evaluation for at least ``hold_minutes``
  (measured from the first safe reading of the run; ``hold_minutes = 0`` clears on the first safe reading).
  A sensor flapping around a threshold therefore holds one alarm, not hundreds.

A reading not newer than the state's ``last_time`` is not evaluated again (re-sending a batch changes
nothing; a late reading still counts in the windows of later readings).

Replay
------
:func:`replay` evaluates a rule at every reading of a history (e.g. the last 7 days) and returns, per
station, the intervals during which each level held and the alarms the machine would have opened
(:class:`Intervals`) — for the "test this rule on the last 7 days" preview.

How it is fast
--------------
No Python loop over readings: a combined (station, time) int64 key sorted once; window starts by one
``searchsorted``; sums by differences of one int64 cumulative sum; maxima and minima over the variable
windows by a sparse table (log₂ of the longest window levels of ``np.where``); the alarm machine by
forward-filled run starts and events (``np.maximum.accumulate``) and a segmented running maximum.
``reference_*`` at the end are plain per-row Python loops giving identical results: the tests' oracle and
the benchmark's baseline (``benchmarks/rules.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import ClassVar, NamedTuple

import numpy as np

SCALE = 1_000_000  # values are compared in integer millionths of their unit
MAX_ABS_VALUE = 1e9
MAX_WINDOW_MINUTES = 400 * 24 * 60
NO_TIME = int(np.iinfo(np.int64).min)  # "no such time" in int64 time arrays (never reported, not safe)

OPS = (">", ">=", "<", "<=")
AGGREGATES = ("sum", "mean", "max", "min")
DIRECTIONS = ("rise", "fall")


class Level(IntEnum):
    """Alarm and warning levels, in severity order (0: none)."""

    NONE = 0
    BLUE = 1
    YELLOW = 2
    ORANGE = 3
    RED = 4

    @property
    def code(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: Level | int | str) -> Level:
        """A level from itself, its number or its code (``"blue"``); ValueError otherwise."""
        if isinstance(value, str):
            try:
                return cls[value.strip().upper()]
            except KeyError:
                raise ValueError(f"unknown level {value!r}; one of blue, yellow, orange, red") from None
        return cls(int(value))


LEVELS = (Level.BLUE, Level.YELLOW, Level.ORANGE, Level.RED)


class Kind(StrEnum):
    THRESHOLD = "threshold"
    WINDOW = "window"
    RATE = "rate"
    NO_DATA = "no_data"


class Action(IntEnum):
    """What the alarm machine says to do with one rule × station after an evaluation."""

    NONE = 0  # no alarm and none needed (or an evaluation not newer than the last one)
    OPEN = 1
    ESCALATE = 2
    HOLD = 3  # open, stays at its level (the value may be lower, but it has not cleared)
    CLEAR = 4

    @property
    def code(self) -> str:
        return self.name.lower()


def quantise(values) -> np.ndarray:
    """Values as int64 millionths of their unit (round half to even, as ``round``)."""
    return np.rint(np.asarray(values, dtype=np.float64) * SCALE).astype(np.int64)


def quantise_one(value: float) -> int:
    return round(float(value) * SCALE)


# --- rules -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """One monitoring rule on one variable. ``levels`` maps a level (``Level``, 1–4 or ``"blue"`` …) to its
    threshold (in the variable's unit; minutes of silence for ``no_data``); at least one level.

    ``window_minutes`` is the trailing window of ``window`` and ``rate`` rules; ``aggregate`` the window's
    aggregate; ``direction`` ``rise`` or ``fall`` for ``rate``; ``margin`` the hysteresis margin (the
    variable's unit, ≥ 0) and ``hold_minutes`` how long the value must stay safe before an alarm clears.
    """

    kind: str
    levels: Mapping
    op: str = ">="
    window_minutes: int = 0
    aggregate: str = "sum"
    direction: str = "rise"
    margin: float = 0.0
    hold_minutes: int = 0
    thresholds: tuple = field(init=False, repr=False, compare=False)
    thresholds_q: tuple = field(init=False, repr=False, compare=False)
    clear_q: int = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        kind = Kind(self.kind)
        object.__setattr__(self, "kind", kind)
        if self.op not in OPS:
            raise ValueError(f"op must be one of {', '.join(OPS)}, not {self.op!r}")
        if kind in (Kind.RATE, Kind.NO_DATA) and self.op not in (">", ">="):
            raise ValueError(f"a {kind} rule compares with > or >=")
        if kind == Kind.WINDOW and self.aggregate not in AGGREGATES:
            raise ValueError(f"aggregate must be one of {', '.join(AGGREGATES)}, not {self.aggregate!r}")
        if kind == Kind.RATE and self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be rise or fall, not {self.direction!r}")
        if kind in (Kind.WINDOW, Kind.RATE):
            if int(self.window_minutes) != self.window_minutes or self.window_minutes <= 0:
                raise ValueError("window_minutes must be a positive whole number of minutes")
            if self.window_minutes > MAX_WINDOW_MINUTES:
                raise ValueError(f"window_minutes must be at most {MAX_WINDOW_MINUTES}")
        if int(self.hold_minutes) != self.hold_minutes or self.hold_minutes < 0:
            raise ValueError("hold_minutes must be a whole number of minutes ≥ 0")
        if not (math.isfinite(self.margin) and 0 <= self.margin <= MAX_ABS_VALUE):
            raise ValueError("margin must be a finite number ≥ 0")
        thresholds: list[float | None] = [None] * 4
        for key, threshold in dict(self.levels).items():
            level = Level.parse(key)
            if level == Level.NONE:
                raise ValueError("a rule's levels are blue, yellow, orange and red")
            if threshold is None:
                continue
            threshold = float(threshold)
            if not (math.isfinite(threshold) and abs(threshold) <= MAX_ABS_VALUE):
                raise ValueError(
                    f"the {level.code} threshold must be a finite number within ±{MAX_ABS_VALUE:g}"
                )
            thresholds[level - 1] = threshold
        defined = [t for t in thresholds if t is not None]
        if not defined:
            raise ValueError("a rule needs at least one level with a threshold")
        upward = self.op in (">", ">=")
        if any((b <= a) if upward else (b >= a) for a, b in zip(defined, defined[1:], strict=False)):
            raise ValueError("thresholds must grow from blue to red for > and >=, and shrink for < and <=")
        if kind == Kind.NO_DATA and defined[0] <= 0:
            raise ValueError("no-data thresholds are minutes > 0")
        object.__setattr__(self, "thresholds", tuple(thresholds))
        object.__setattr__(
            self, "thresholds_q", tuple(None if t is None else quantise_one(t) for t in thresholds)
        )
        margin_q = quantise_one(self.margin)
        lowest = quantise_one(defined[0])
        object.__setattr__(self, "clear_q", lowest - margin_q if upward else lowest + margin_q)

    @property
    def upward(self) -> bool:
        """True for ``>``/``>=`` rules (higher values are worse)."""
        return self.op in (">", ">=")

    @property
    def window_s(self) -> int:
        return int(self.window_minutes) * 60 if self.kind in (Kind.WINDOW, Kind.RATE) else 0

    @property
    def hold_s(self) -> int:
        return int(self.hold_minutes) * 60

    @property
    def history_seconds(self) -> int:
        """How far before a batch's oldest reading the rule needs history (0: none)."""
        return self.window_s


def history_start(batch: Readings, rules: Iterable[Rule]) -> int | None:
    """The bound of the history query for a batch: readings with ``time >`` this (None: no history needed)."""
    need = max((rule.history_seconds for rule in rules), default=0)
    if need == 0 or len(batch) == 0:
        return None
    return int(batch.time.min()) - need


# --- readings and series ---------------------------------------------------------------------------
def _as_times(values) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[s]").astype(np.int64)
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError("times must be int64 epoch seconds (or datetime64)")
    return arr.astype(np.int64, copy=False)


@dataclass(frozen=True)
class Readings:
    """A batch of readings of one variable: parallel 1-D arrays ``station`` (int64 ≥ 0), ``time`` (int64
    epoch seconds) and ``value`` (float64, finite, within ±1e9)."""

    station: np.ndarray
    time: np.ndarray
    value: np.ndarray

    def __post_init__(self):
        station = np.asarray(self.station)
        if station.size and station.dtype.kind not in "iu":
            raise ValueError("stations must be integer indices")
        station = station.astype(np.int64, copy=False)
        time = _as_times(self.time)
        value = np.asarray(self.value, dtype=np.float64)
        if not (station.ndim == time.ndim == value.ndim == 1 and len(station) == len(time) == len(value)):
            raise ValueError("station, time and value must be 1-D arrays of the same length")
        if len(station) and station.min() < 0:
            raise ValueError("station indices must be ≥ 0")
        if len(value) and not (np.isfinite(value).all() and np.abs(value).max() <= MAX_ABS_VALUE):
            raise ValueError(f"values must be finite and within ±{MAX_ABS_VALUE:g}")
        object.__setattr__(self, "station", station)
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "value", value)

    def __len__(self) -> int:
        return len(self.station)

    @classmethod
    def empty(cls) -> Readings:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))

    def take(self, which) -> Readings:
        """The readings selected by a boolean mask or an index array."""
        return Readings(self.station[which], self.time[which], self.value[which])


def _strictly_increasing(a: np.ndarray) -> bool:
    return bool(len(a) < 2 or (a[1:] > a[:-1]).all())


def _nondecreasing(a: np.ndarray) -> bool:
    return bool(len(a) < 2 or (a[1:] >= a[:-1]).all())


def _positions(sorted_keys: np.ndarray, keys) -> np.ndarray:
    """Index of each key in the sorted unique array ``sorted_keys`` (−1 when absent)."""
    keys = np.asarray(keys, dtype=np.int64)
    if len(sorted_keys) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return np.where(sorted_keys[pos] == keys, pos, -1)


class Series:
    """Readings of one variable sorted by (station, time), one per (station, time), values quantised.

    ``station``, ``time``, ``value`` and ``q`` (int64 millionths) are parallel arrays; ``stations`` lists the
    stations present and ``starts``/``ends`` their row ranges. Build with :meth:`of`.
    """

    def __init__(self, station, time, value, q, key):
        self.station, self.time, self.value, self.q, self.key = station, time, value, q, key
        n = len(station)
        self.starts = np.flatnonzero(_group_firsts(station))
        self.ends = np.append(self.starts[1:], n) if n else self.starts.copy()
        self.stations = station[self.starts]
        self._csum = None
        self._tables: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.station)

    @classmethod
    def of(cls, *parts: Readings | Series | None) -> Series:
        """Merge batches (history first, newest batch last): sorted, and a reading repeated at the same
        (station, time) keeps the value given last."""
        parts = [p.readings() if isinstance(p, Series) else p for p in parts if p is not None]
        if not parts:
            parts = [Readings.empty()]
        if len(parts) == 1:
            st, t, v = parts[0].station, parts[0].time, parts[0].value
        else:
            st = np.concatenate([p.station for p in parts])
            t = np.concatenate([p.time for p in parts])
            v = np.concatenate([p.value for p in parts])
        n = len(st)
        if n == 0:
            empty = np.zeros(0, np.int64)
            return cls(empty, empty, np.zeros(0), empty, empty)
        tmin = int(t.min())
        span = int(t.max()) - tmin + 1 + MAX_WINDOW_MINUTES * 60
        if (int(st.max()) + 1) * span >= 2**62:
            raise ValueError("too many stations for this time span")
        key = st * span + (t - tmin)
        if not _strictly_increasing(key):
            if int(st.max()) < 65536 and _nondecreasing(t):
                # readings in arrival (time) order: a stable (radix) sort by station gives (station, time)
                order = np.argsort(st.astype(np.uint16), kind="stable")
            else:
                order = np.argsort(key, kind="stable")
            st, t, v, key = st[order], t[order], v[order], key[order]
            last = np.r_[key[1:] != key[:-1], True]
            if not last.all():
                st, t, v, key = st[last], t[last], v[last], key[last]
        return cls(st, t, v, quantise(v), key)

    def readings(self) -> Readings:
        return Readings(self.station, self.time, self.value)

    def newest(self) -> np.ndarray:
        """Row index of each station's newest reading (in ``stations`` order)."""
        return self.ends - 1

    def rows_of(self, stations) -> np.ndarray:
        """Position in ``stations``/``starts`` of each given station (−1 when absent)."""
        return _positions(self.stations, stations)

    def window_start(self, idx, window_s: int) -> np.ndarray:
        """First row of the window ``(t − window_s, t]`` ending at each row ``idx`` (same station)."""
        if not 0 <= window_s <= MAX_WINDOW_MINUTES * 60:
            raise ValueError("window out of range")
        idx = np.asarray(idx, dtype=np.int64)
        return np.searchsorted(self.key, self.key[idx] - window_s, side="right").astype(np.int64)

    def window_sum(self, lo, hi) -> np.ndarray:
        """Exact int64 sum of ``q[lo..hi]`` (inclusive) for each pair."""
        if self._csum is None:
            self._csum = np.concatenate((np.zeros(1, np.int64), np.cumsum(self.q)))
        return self._csum[np.asarray(hi) + 1] - self._csum[np.asarray(lo)]

    def window_arg(self, lo, hi, kind: str) -> np.ndarray:
        """Row of the maximum (``kind="max"``) or minimum of ``q[lo..hi]`` (inclusive), the latest on ties."""
        lo = np.asarray(lo, dtype=np.int64)
        hi = np.asarray(hi, dtype=np.int64)
        if len(lo) == 0:
            return lo.copy()
        length = hi - lo + 1
        k = (np.frexp(length.astype(np.float64))[1] - 1).astype(np.int64)  # floor(log2(length))
        table = self._sparse_table(kind, int(k.max()))
        n = len(self.q)
        flat = table.reshape(-1)
        a = flat[k * n + lo].astype(np.int64)
        b = flat[k * n + hi - (np.int64(1) << k) + 1].astype(np.int64)
        qa, qb = self.q[a], self.q[b]
        return np.where(qb >= qa if kind == "max" else qb <= qa, b, a)

    def _sparse_table(self, kind: str, depth: int) -> np.ndarray:
        """Rows ``T[k, i]`` = the (latest) arg-extreme of ``q[i : i + 2**k]``, for k ≤ depth."""
        table = self._tables.get(kind)
        if table is not None and table.shape[0] > depth:
            return table
        n = len(self.q)
        dtype = np.int32 if n < 2**31 else np.int64
        table = np.empty((depth + 1, n), dtype=dtype)
        table[0] = np.arange(n, dtype=dtype)
        q = self.q
        for k in range(1, depth + 1):
            half = 1 << (k - 1)
            m = n - (1 << k) + 1
            prev = table[k - 1]
            table[k] = prev  # rows past m are never read
            if m <= 0:
                continue
            a, b = prev[:m], prev[half : half + m]
            qa, qb = q[a], q[b]
            table[k, :m] = np.where(qb >= qa if kind == "max" else qb <= qa, b, a)
        self._tables[kind] = table
        return table


# --- evaluation ------------------------------------------------------------------------------------
class Columns:
    """Parallel arrays named like the fields of the class's ``Row`` (a NamedTuple), in the same order."""

    Row: ClassVar[type]

    def __len__(self) -> int:
        return len(getattr(self, self.Row._fields[0]))

    def take(self, which):
        """The rows selected by a boolean mask or an index array."""
        return type(self)(*(getattr(self, f)[which] for f in self.Row._fields))

    def rows(self) -> list:
        """The rows as ``Row`` named tuples of Python scalars."""
        cols = [getattr(self, f).tolist() for f in self.Row._fields]
        return [self.Row(*row) for row in zip(*cols, strict=True)]


class EvaluationRow(NamedTuple):
    station: int
    time: int
    level: int
    value: float
    safe: bool
    first_time: int
    ref_time: int
    count: int


@dataclass(frozen=True)
class Evaluation(Columns):
    """A rule evaluated at some readings: parallel arrays, sorted by (station, time).

    ``time`` is the evaluated reading (the window's last; ``now`` for ``no_data``), ``level`` the highest
    level reached (int8, 0 = none), ``value`` the value that decided it, ``safe`` whether it is on the safe
    side of the clear threshold, ``first_time``/``ref_time``/``count`` the window's first reading, the
    deciding reading and the number of readings (``no_data``: the last reading, or ``NO_TIME``).
    """

    Row: ClassVar[type] = EvaluationRow

    station: np.ndarray
    time: np.ndarray
    level: np.ndarray
    value: np.ndarray
    safe: np.ndarray
    first_time: np.ndarray
    ref_time: np.ndarray
    count: np.ndarray


def _classify(rule: Rule, num: np.ndarray, den) -> tuple[np.ndarray, np.ndarray]:
    """Levels and safe flags of the exact values ``num / den`` (den: 1 or an array of counts > 0)."""
    if isinstance(den, np.ndarray):
        floor = num // den
        ceil = -((-num) // den)
    else:
        floor = ceil = num
    level = np.zeros(len(num), dtype=np.int8)
    for lvl, threshold in zip(LEVELS, rule.thresholds_q, strict=True):
        if threshold is None:
            continue
        if rule.op == ">":
            hit = ceil > threshold
        elif rule.op == ">=":
            hit = floor >= threshold
        elif rule.op == "<":
            hit = floor < threshold
        else:
            hit = ceil <= threshold
        level[hit] = lvl
    safe = floor < rule.clear_q if rule.upward else ceil > rule.clear_q
    return level, safe


def evaluate_at(rule: Rule, series: Series, idx) -> Evaluation:
    """Evaluate a ``threshold``, ``window`` or ``rate`` rule at the given rows of the series (distinct, in
    increasing order; each row is the newest reading of its window), vectorised."""
    if rule.kind == Kind.NO_DATA:
        raise ValueError("a no-data rule is evaluated with evaluate_no_data(rule, stations, last_time, now)")
    idx = np.asarray(idx, dtype=np.int64)
    every = len(idx) == len(series) and (len(idx) == 0 or idx[0] == 0) and _strictly_increasing(idx)
    q = series.q
    den = 1
    if rule.kind == Kind.THRESHOLD:
        lo = ref = idx
        num = q[idx]
    else:
        lo = series.window_start(idx, rule.window_s)
        if rule.kind == Kind.WINDOW and rule.aggregate in ("sum", "mean"):
            ref = idx
            num = series.window_sum(lo, idx)
            if rule.aggregate == "mean":
                den = idx - lo + 1
        elif rule.kind == Kind.WINDOW:
            ref = series.window_arg(lo, idx, rule.aggregate)
            num = q[ref]
        elif rule.direction == "rise":
            ref = series.window_arg(lo, idx, "min")
            num = q[idx] - q[ref]
        else:
            ref = series.window_arg(lo, idx, "max")
            num = q[ref] - q[idx]
    level, safe = _classify(rule, num, den)
    return Evaluation(
        station=series.station if every else series.station[idx],
        time=series.time if every else series.time[idx],
        level=level,
        value=num / SCALE / den,
        safe=safe,
        first_time=series.time[lo],
        ref_time=series.time[ref],
        count=idx - lo + 1,
    )


def evaluate_latest(rule: Rule, series: Series) -> Evaluation:
    """The rule at each station's newest reading (the stations' present state; one row per station)."""
    return evaluate_at(rule, series, series.newest())


def _select(series: Series, since: int | None, until: int | None, after=None) -> np.ndarray:
    """Rows with since ≤ time ≤ until and time > after[station row] (``after``: per ``series.stations``)."""
    keep = np.ones(len(series), dtype=bool)
    if since is not None:
        keep &= series.time >= since
    if until is not None:
        keep &= series.time <= until
    if after is not None:
        keep &= series.time > np.repeat(after, series.ends - series.starts)
    return np.flatnonzero(keep)


def evaluate_no_data(rule: Rule, stations, last_time, now: int) -> Evaluation:
    """A ``no_data`` rule at ``now`` for each station given its last reading time (``NO_TIME``: never).

    The value is the silence in minutes (``inf`` for a station that never reported, which is at the
    highest defined level and never safe)."""
    if rule.kind != Kind.NO_DATA:
        raise ValueError("evaluate_no_data needs a no_data rule")
    stations = np.asarray(stations, dtype=np.int64)
    last_time = np.asarray(last_time, dtype=np.int64)
    if stations.shape != last_time.shape or stations.ndim != 1:
        raise ValueError("stations and last_time must be 1-D arrays of the same length")
    order = np.argsort(stations, kind="stable")
    stations, last_time = stations[order], last_time[order]
    if len(stations) > 1 and (stations[1:] == stations[:-1]).any():
        raise ValueError("each station once")
    never = last_time == NO_TIME
    silence = np.where(never, 0, int(now) - last_time)
    num = silence * SCALE
    level, safe = _classify(rule, num, np.full(len(num), 60, dtype=np.int64))
    top = max(lvl for lvl, t in zip(LEVELS, rule.thresholds, strict=True) if t is not None)
    level[never] = top
    safe[never] = False
    return Evaluation(
        station=stations,
        time=np.full(len(stations), int(now), dtype=np.int64),
        level=level,
        value=np.where(never, np.inf, num / SCALE / 60),
        safe=safe,
        first_time=last_time,
        ref_time=last_time.copy(),
        count=(~never).astype(np.int64),
    )


# --- the alarm state machine -----------------------------------------------------------------------
@dataclass(frozen=True)
class AlarmState:
    """One rule × station: the open alarm's level (0: none open), since when the value has been safe
    (epoch s, None when not), and the time of the last evaluation taken into account."""

    level: int = 0
    safe_since: int | None = None
    last_time: int | None = None


def step_alarm(
    state: AlarmState, level: int, safe: bool, time: int, hold_minutes: int
) -> tuple[Action, AlarmState]:
    """The alarm machine, one evaluation at a time (the rules are in the module's docstring)."""
    if state.last_time is not None and time <= state.last_time:
        return Action.NONE, state
    if state.level == 0:
        if level > 0:
            return Action.OPEN, AlarmState(int(level), None, time)
        return Action.NONE, AlarmState(0, None, time)
    if level > state.level:
        return Action.ESCALATE, AlarmState(int(level), None, time)
    if safe:
        since = time if state.safe_since is None else state.safe_since
        if time - since >= hold_minutes * 60:
            return Action.CLEAR, AlarmState(0, None, time)
        return Action.HOLD, AlarmState(state.level, since, time)
    return Action.HOLD, AlarmState(state.level, None, time)


@dataclass(frozen=True)
class AlarmStates:
    """:class:`AlarmState` for many stations of one rule: parallel arrays sorted by station
    (``NO_TIME`` for None)."""

    station: np.ndarray
    level: np.ndarray
    safe_since: np.ndarray
    last_time: np.ndarray

    def __len__(self) -> int:
        return len(self.station)

    @classmethod
    def empty(cls) -> AlarmStates:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0, np.int64), np.zeros(0, np.int64))

    @classmethod
    def from_states(cls, states: Mapping[int, AlarmState]) -> AlarmStates:
        stations = sorted(states)

        def times(values):
            return np.array([NO_TIME if v is None else v for v in values], dtype=np.int64)

        return cls(
            np.array(stations, dtype=np.int64),
            np.array([states[s].level for s in stations], dtype=np.int8),
            times(states[s].safe_since for s in stations),
            times(states[s].last_time for s in stations),
        )

    def to_states(self) -> dict[int, AlarmState]:
        def opt(v):
            return None if v == NO_TIME else v

        return {
            s: AlarmState(lvl, opt(since), opt(last))
            for s, lvl, since, last in zip(
                self.station.tolist(),
                self.level.tolist(),
                self.safe_since.tolist(),
                self.last_time.tolist(),
                strict=True,
            )
        }


class TransitionRow(NamedTuple):
    station: int
    time: int
    action: int
    level: int
    value: float
    first_time: int
    ref_time: int


@dataclass(frozen=True)
class Transitions(Columns):
    """The alarm transitions (``Action.OPEN``/``ESCALATE``/``CLEAR``) in (station, time) order. ``level`` is
    the alarm's level after the transition (for CLEAR, the level it had); ``value``, ``first_time`` and
    ``ref_time`` come from the evaluation that caused it."""

    Row: ClassVar[type] = TransitionRow

    station: np.ndarray
    time: np.ndarray
    action: np.ndarray
    level: np.ndarray
    value: np.ndarray
    first_time: np.ndarray
    ref_time: np.ndarray


@dataclass(frozen=True)
class AlarmResult:
    transitions: Transitions
    states: AlarmStates  # every station of the input states and evaluations, after the evaluations
    evaluations: Evaluation  # the evaluations taken into account (newer than each state's last_time)
    alarm_level: np.ndarray  # the alarm's level after each of those evaluations (0: none open)


def _group_firsts(station: np.ndarray) -> np.ndarray:
    return np.r_[True, station[1:] != station[:-1]] if len(station) else np.zeros(0, dtype=bool)


def advance_alarms(evaluations: Evaluation, states: AlarmStates, hold_minutes: int) -> AlarmResult:
    """Run :func:`step_alarm` over evaluations sorted by (station, time), from ``states``, vectorised.

    Evaluations not newer than their station's ``last_time`` are skipped. Returns the transitions, the
    states after the last evaluation of each station (stations without evaluations unchanged) and the
    evaluations used."""
    ev = evaluations
    if len(ev) > 1:
        step = np.sign(ev.station[1:] - ev.station[:-1])
        if ((step < 0) | ((step == 0) & (ev.time[1:] <= ev.time[:-1]))).any():
            raise ValueError("evaluations must be sorted by (station, time), one per time")
    if len(states) and len(ev):  # skip what the states have already seen
        firsts = np.flatnonzero(_group_firsts(ev.station))
        pos = _positions(states.station, ev.station[firsts])
        seen = np.where(pos >= 0, states.last_time[np.maximum(pos, 0)], NO_TIME)
        newer = ev.time > np.repeat(seen, np.diff(np.append(firsts, len(ev))))
        if not newer.all():
            ev = ev.take(newer)
    n = len(ev)
    st, t, lvl, safe = ev.station, ev.time, ev.level, ev.safe
    hold_s = int(hold_minutes) * 60
    rows = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)
    first = _group_firsts(st)
    firsts = np.flatnonzero(first)
    counts = np.diff(np.append(firsts, n))

    # the state each station starts from (per station: arrays of len(firsts))
    pos = _positions(states.station, st[firsts])
    have = pos >= 0
    init_level = np.zeros(len(firsts), dtype=np.int8)
    init_level[have] = states.level[pos[have]]
    init_since = np.full(len(firsts), NO_TIME, dtype=np.int64)
    init_since[have] = states.safe_since[pos[have]]
    init_open = init_level > 0
    init_alarm_level = np.where(init_open, init_level, 0).astype(np.int8)

    # runs of safe evaluations, and when each began (an open alarm's safe run may have begun before)
    prev_safe = np.empty(n, dtype=bool)
    prev_safe[1:] = safe[:-1]
    prev_safe[firsts] = False
    run_first = safe & ~prev_safe
    run_begin = t.copy()
    carried = init_open & (init_since != NO_TIME) & safe[firsts]
    run_begin[firsts[carried]] = init_since[carried]
    run_start = run_begin[np.maximum.accumulate(np.where(run_first, rows, 0))]
    clear_event = safe & (t - run_start >= hold_s)
    open_event = lvl > 0

    # open or closed after each evaluation: decided by the latest event of the station so far
    last_event = np.maximum.accumulate(np.where(open_event | clear_event, rows, -1))
    has_event = last_event >= np.repeat(firsts, counts)
    open_after = np.where(has_event, open_event[np.maximum(last_event, 0)], np.repeat(init_open, counts))
    open_before = np.empty(n, dtype=bool)
    open_before[1:] = open_after[:-1]
    open_before[firsts] = init_open
    opened = open_event & ~open_before
    cleared = clear_event & open_before

    # the alarm's level: the running maximum since it opened (or of the alarm carried in)
    segment = np.cumsum(opened | first, dtype=np.int32 if n < 2**28 else np.int64)
    base = lvl.astype(segment.dtype)
    base[firsts] = np.maximum(base[firsts], init_alarm_level)
    segment *= 8
    running = np.maximum.accumulate(segment + base) - segment
    level_after = np.where(open_after, running, 0).astype(np.int8)
    level_before = np.empty(n, dtype=np.int8)
    level_before[1:] = level_after[:-1]
    level_before[firsts] = init_alarm_level
    escalated = open_event & open_before & (lvl > level_before)

    changed = np.flatnonzero(opened | escalated | cleared)
    action = np.where(
        opened[changed], Action.OPEN, np.where(escalated[changed], Action.ESCALATE, Action.CLEAR)
    ).astype(np.int8)
    transitions = Transitions(
        station=st[changed],
        time=t[changed],
        action=action,
        level=np.where(cleared[changed], level_before[changed], level_after[changed]).astype(np.int8),
        value=ev.value[changed],
        first_time=ev.first_time[changed],
        ref_time=ev.ref_time[changed],
    )

    last = firsts + counts - 1
    new = AlarmStates(
        station=st[last],
        level=level_after[last],
        safe_since=np.where(open_after[last] & safe[last], run_start[last], NO_TIME),
        last_time=t[last],
    )
    return AlarmResult(transitions, _merge_states(states, new), ev, level_after)


def _merge_states(old: AlarmStates, new: AlarmStates) -> AlarmStates:
    """``old`` with the stations of ``new`` replaced or added, sorted by station."""
    if len(old) == 0:
        return new
    keep = ~np.isin(old.station, new.station)
    station = np.concatenate([old.station[keep], new.station])
    order = np.argsort(station, kind="stable")
    return AlarmStates(
        station[order],
        np.concatenate([old.level[keep], new.level])[order],
        np.concatenate([old.safe_since[keep], new.safe_since])[order],
        np.concatenate([old.last_time[keep], new.last_time])[order],
    )


def track_alarms(
    rule: Rule, series: Series, states: AlarmStates | None = None, since: int | None = None
) -> AlarmResult:
    """Evaluate every reading of the series with ``time ≥ since`` that is newer than its station's state,
    and run the alarm machine through them (``since``: the batch's oldest reading time, so the history
    fetched for the windows is not evaluated itself)."""
    states = AlarmStates.empty() if states is None else states
    rows = series.rows_of(states.station)
    after = np.full(len(series.stations), NO_TIME, dtype=np.int64)
    present = rows >= 0
    after[rows[present]] = states.last_time[present]
    idx = _select(series, since, None, after)
    return advance_alarms(evaluate_at(rule, series, idx), states, rule.hold_minutes)


# --- replay ----------------------------------------------------------------------------------------
class IntervalRow(NamedTuple):
    station: int
    level: int
    start: int
    end: int
    ongoing: bool
    count: int
    peak: float
    peak_time: int


@dataclass(frozen=True)
class Intervals(Columns):
    """Per station, time intervals ``[start, end)`` at a level, in (station, start) order.

    For level intervals: a level holds from the reading that reached it to the next reading at another
    level; the last one of a station is ``ongoing`` and ends at ``until`` (or the station's last reading).
    For alarms: from the opening reading to the clearing one; ``level`` is the highest reached. ``count``
    is the number of evaluated readings, ``peak``/``peak_time`` the most severe value (the highest for
    ``>``/``>=`` rules, the lowest otherwise) and its latest reading.
    """

    Row: ClassVar[type] = IntervalRow

    station: np.ndarray
    level: np.ndarray
    start: np.ndarray
    end: np.ndarray
    ongoing: np.ndarray
    count: np.ndarray
    peak: np.ndarray
    peak_time: np.ndarray


@dataclass(frozen=True)
class Replay:
    levels: Intervals
    alarms: Intervals
    evaluations: Evaluation


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(s, s + l)`` for each pair, without a loop."""
    total = int(lengths.sum())
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


def _empty_intervals() -> Intervals:
    z = np.zeros(0, np.int64)
    return Intervals(z, z.astype(np.int8), z, z, z.astype(bool), z, np.zeros(0), z)


def _intervals(
    ev: Evaluation, starts: np.ndarray, ends: np.ndarray, level: np.ndarray, upward: bool, until: int | None
) -> Intervals:
    """Intervals over the evaluation rows ``[starts[i], ends[i])`` (disjoint, each within one station):
    an interval ends at the time of row ``ends[i]`` when that row is of the same station, otherwise it is
    ongoing and ends at ``until`` (or its last row's time)."""
    if len(starts) == 0:
        return _empty_intervals()
    n = len(ev)
    lengths = ends - starts
    rows = _ranges(starts, lengths)
    offsets = np.cumsum(lengths) - lengths
    values = ev.value[rows] if upward else -ev.value[rows]
    peak = np.maximum.reduceat(values, offsets)
    at_peak = values == np.repeat(peak, lengths)
    peak_row = np.maximum.reduceat(np.where(at_peak, rows, -1), offsets)
    nxt = np.minimum(ends, n - 1)
    closed = (ends < n) & (ev.station[nxt] == ev.station[starts])
    last_time = ev.time[ends - 1]
    return Intervals(
        station=ev.station[starts],
        level=np.asarray(level, dtype=np.int8),
        start=ev.time[starts],
        end=np.where(closed, ev.time[nxt], last_time if until is None else int(until)),
        ongoing=~closed,
        count=lengths.astype(np.int64),
        peak=ev.value[peak_row],
        peak_time=ev.time[peak_row],
    )


def _level_runs(station: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row ranges ``[starts, ends)`` of the runs of one station at one level > 0."""
    n = len(station)
    if n == 0:
        z = np.zeros(0, np.int64)
        return z, z
    change = _group_firsts(station) | np.r_[True, level[1:] != level[:-1]]
    starts = np.flatnonzero(change)
    ends = np.r_[starts[1:], n]
    keep = level[starts] > 0
    return starts[keep], ends[keep]


def replay(rule: Rule, series: Series, since: int | None = None, until: int | None = None) -> Replay:
    """Evaluate the rule at every reading with ``since ≤ time ≤ until`` (the history before ``since`` only
    fills the first windows) and return, per station, the intervals at each level and the alarms the
    machine would have opened (starting with none open). ``until``: the end of ongoing intervals (e.g.
    now; default: the station's last reading)."""
    if rule.kind == Kind.NO_DATA:
        raise ValueError("replay a no-data rule with replay_no_data()")
    ev = evaluate_at(rule, series, _select(series, since, until))
    starts, ends = _level_runs(ev.station, ev.level)
    levels = _intervals(ev, starts, ends, ev.level[starts], rule.upward, until)
    result = advance_alarms(ev, AlarmStates.empty(), rule.hold_minutes)
    starts, ends = _level_runs(ev.station, (result.alarm_level > 0).astype(np.int8))
    alarms = _intervals(ev, starts, ends, result.alarm_level[ends - 1], rule.upward, until)
    return Replay(levels, alarms, ev)


def _no_data_seconds(rule: Rule) -> list[tuple[int, int]]:
    """(level, smallest whole number of seconds of silence that reaches it) for the defined levels."""
    out = []
    for lvl, t_q in zip(LEVELS, rule.thresholds_q, strict=True):
        if t_q is not None:
            out.append((int(lvl), -((-t_q * 60) // SCALE) if rule.op == ">=" else (t_q * 60) // SCALE + 1))
    return out


def replay_no_data(rule: Rule, series: Series, since: int, until: int, stations=None) -> Intervals:
    """The intervals during which each level of a ``no_data`` rule held in ``[since, until)``.

    Silence is counted from each reading (the series should reach back before ``since`` by the highest
    threshold so a gap across ``since`` is seen); ``stations`` lists stations to include that have no
    reading in the series (at the highest level all along, peak ``inf``). ``count`` is 0 and ``peak`` the
    silence in minutes at the interval's end."""
    if rule.kind != Kind.NO_DATA:
        raise ValueError("replay_no_data needs a no_data rule")
    since, until = int(since), int(until)
    take = np.flatnonzero(series.time <= until)
    st, a = series.station[take], series.time[take]
    n = len(st)
    last_of_station = np.r_[st[1:] != st[:-1], True] if n else np.zeros(0, bool)
    b = np.where(last_of_station, until, np.r_[a[1:], until] if n else a)
    parts = []
    seconds = _no_data_seconds(rule)
    for j, (lvl, d) in enumerate(seconds):
        nxt = seconds[j + 1][1] if j + 1 < len(seconds) else None
        s = np.maximum(a + d, since)
        e = b if nxt is None else np.minimum(b, a + nxt)
        keep = e > s
        ongoing = last_of_station & (e == until)
        silence_end = (e - a) * SCALE
        parts.append(
            (
                st[keep],
                np.full(int(keep.sum()), lvl),
                s[keep],
                e[keep],
                ongoing[keep],
                silence_end[keep] / SCALE / 60,
            )
        )
    if stations is not None:
        absent = np.setdiff1d(np.asarray(stations, dtype=np.int64), series.stations)
        if since < until and len(absent):
            top = seconds[-1][0]
            k = len(absent)
            parts.append(
                (
                    absent,
                    np.full(k, top),
                    np.full(k, since),
                    np.full(k, until),
                    np.ones(k, bool),
                    np.full(k, np.inf),
                )
            )
    station = np.concatenate([p[0] for p in parts]).astype(np.int64)
    start = np.concatenate([p[2] for p in parts]).astype(np.int64)
    order = np.lexsort((start, station))
    end = np.concatenate([p[3] for p in parts]).astype(np.int64)[order]
    return Intervals(
        station=station[order],
        level=np.concatenate([p[1] for p in parts]).astype(np.int8)[order],
        start=start[order],
        end=end,
        ongoing=np.concatenate([p[4] for p in parts]).astype(bool)[order],
        count=np.zeros(len(order), np.int64),
        peak=np.concatenate([p[5] for p in parts]).astype(np.float64)[order],
        peak_time=end.copy(),
    )


# --- the reference implementation: plain per-row Python loops ---------------------------------------
# The tests' oracle and the benchmark's baseline. Deliberately simple: every window is recomputed by
# walking back over the station's readings, every comparison is made on Python integers.
def reference_series(*parts: Readings) -> dict[int, tuple[list[int], list[int]]]:
    """Station → (times, quantised values), sorted by time; a repeated (station, time) keeps the last."""
    merged: dict[int, dict[int, int]] = {}
    for part in parts:
        for s, t, v in zip(part.station.tolist(), part.time.tolist(), part.value.tolist(), strict=True):
            merged.setdefault(s, {})[t] = round(v * SCALE)
    out = {}
    for s in sorted(merged):
        times = sorted(merged[s])
        out[s] = (times, [merged[s][t] for t in times])
    return out


def _reference_classify(rule: Rule, num: int, den: int) -> tuple[int, bool]:
    level = 0
    for lvl, threshold in zip(LEVELS, rule.thresholds_q, strict=True):
        if threshold is None:
            continue
        bound = threshold * den
        if rule.op == ">":
            hit = num > bound
        elif rule.op == ">=":
            hit = num >= bound
        elif rule.op == "<":
            hit = num < bound
        else:
            hit = num <= bound
        if hit:
            level = int(lvl)
    safe = num < rule.clear_q * den if rule.upward else num > rule.clear_q * den
    return level, safe


def reference_evaluate_row(
    rule: Rule, station: int, times: list[int], qs: list[int], i: int
) -> EvaluationRow:
    """The rule at reading ``i`` of one station's sorted readings."""
    t = times[i]
    den = 1
    lo = ref = i
    if rule.kind == Kind.THRESHOLD:
        num = qs[i]
    else:
        while lo > 0 and times[lo - 1] > t - rule.window_s:
            lo -= 1
        if rule.kind == Kind.WINDOW and rule.aggregate in ("sum", "mean"):
            num = 0
            for j in range(lo, i + 1):
                num += qs[j]
            if rule.aggregate == "mean":
                den = i - lo + 1
        else:
            want_max = (rule.kind == Kind.WINDOW and rule.aggregate == "max") or (
                rule.kind == Kind.RATE and rule.direction == "fall"
            )
            ref = lo
            for j in range(lo + 1, i + 1):
                if (qs[j] >= qs[ref]) if want_max else (qs[j] <= qs[ref]):
                    ref = j
            if rule.kind == Kind.WINDOW:
                num = qs[ref]
            elif rule.direction == "rise":
                num = qs[i] - qs[ref]
            else:
                num = qs[ref] - qs[i]
    level, safe = _reference_classify(rule, num, den)
    return EvaluationRow(station, t, level, num / SCALE / den, safe, times[lo], times[ref], i - lo + 1)


def reference_evaluate_latest(rule: Rule, *parts: Readings) -> list[EvaluationRow]:
    return [
        reference_evaluate_row(rule, s, times, qs, len(times) - 1)
        for s, (times, qs) in reference_series(*parts).items()
    ]


def reference_no_data(
    rule: Rule, stations: Sequence[int], last_time: Sequence[int], now: int
) -> list[EvaluationRow]:
    top = max(int(lvl) for lvl, t in zip(LEVELS, rule.thresholds, strict=True) if t is not None)
    rows = []
    for s, last in sorted(zip(stations, last_time, strict=True), key=lambda pair: pair[0]):
        if last == NO_TIME:
            rows.append(EvaluationRow(s, now, top, math.inf, False, last, last, 0))
            continue
        num = (now - last) * SCALE
        level, safe = _reference_classify(rule, num, 60)
        rows.append(EvaluationRow(s, now, level, num / SCALE / 60, safe, last, last, 1))
    return rows


def reference_track(
    rule: Rule, *parts: Readings, states: Mapping[int, AlarmState] | None = None, since: int | None = None
) -> tuple[list[EvaluationRow], list[TransitionRow], dict[int, AlarmState]]:
    """Evaluations, transitions and final states, one reading at a time (as :func:`track_alarms`)."""
    states = dict(states or {})
    evaluations, transitions = [], []
    for s, (times, qs) in reference_series(*parts).items():
        state = states.get(s, AlarmState())
        touched = False
        for i, t in enumerate(times):
            if (since is not None and t < since) or (state.last_time is not None and t <= state.last_time):
                continue
            row = reference_evaluate_row(rule, s, times, qs, i)
            evaluations.append(row)
            before = state.level
            action, state = step_alarm(state, row.level, row.safe, t, rule.hold_minutes)
            touched = True
            if action in (Action.OPEN, Action.ESCALATE, Action.CLEAR):
                level = before if action == Action.CLEAR else state.level
                transitions.append(
                    TransitionRow(s, t, int(action), level, row.value, row.first_time, row.ref_time)
                )
        if touched:
            states[s] = state
    return evaluations, transitions, states


def _reference_peak(rows: list[EvaluationRow], upward: bool) -> tuple[float, int]:
    best = None
    for row in rows:
        v = row.value if upward else -row.value
        if best is None or v >= best[0]:
            best = (v, row)
    return best[1].value, best[1].time


def reference_replay(
    rule: Rule, *parts: Readings, since: int | None = None, until: int | None = None
) -> tuple[list[IntervalRow], list[IntervalRow]]:
    """Level intervals and alarm intervals, one reading at a time (as :func:`replay`)."""
    levels, alarms = [], []
    for s, (times, qs) in reference_series(*parts).items():
        rows = [
            reference_evaluate_row(rule, s, times, qs, i)
            for i, t in enumerate(times)
            if (since is None or t >= since) and (until is None or t <= until)
        ]

        def emit(out, level, a, b, rows=rows):
            run = rows[a:b]
            ongoing = b >= len(rows)
            end = (rows[-1].time if until is None else until) if ongoing else rows[b].time
            peak, peak_time = _reference_peak(run, rule.upward)
            out.append(
                IntervalRow(run[0].station, level, run[0].time, end, ongoing, len(run), peak, peak_time)
            )

        a = 0
        for b in range(1, len(rows) + 1):
            if b == len(rows) or rows[b].level != rows[a].level:
                if rows[a].level > 0:
                    emit(levels, rows[a].level, a, b)
                a = b
        state, opened_at = AlarmState(), None
        for b, row in enumerate(rows):
            level_before = state.level
            action, state = step_alarm(state, row.level, row.safe, row.time, rule.hold_minutes)
            if action == Action.OPEN:
                opened_at = b
            elif action == Action.CLEAR:
                emit(alarms, level_before, opened_at, b)
                opened_at = None
        if opened_at is not None:
            emit(alarms, state.level, opened_at, len(rows))
    return levels, alarms
