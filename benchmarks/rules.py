"""Benchmarks of the monitoring rules engine (``citywatch.monitoring.evaluation``).

Run with ``python benchmarks/rules.py [--quick]``; the ``citywatch bench ingest`` verb calls
:func:`run_rules_benchmark`. Each figure is one JSON line in the house form::

    {"name", "value", "unit", "baseline", "baseline_value", "ratio", "identical", "params"}

* ``rules_3h_rain_sum_1m`` — a batch of 1,000,000 five-minute rain readings (2,000 gauges × 500 readings,
  about 42 hours, in arrival order: every gauge at t₀, then every gauge at t₁, …) through the real engine:
  ``Series.of(batch)`` (sort, deduplicate, quantise) and ``track_alarms`` (the 3-hour sum ending at *every*
  reading, four levels, hysteresis and hold time, the alarm machine), against the plain per-row Python loop
  of the reference implementation (``reference_track``: each window recomputed by walking back over the
  gauge's readings). ``identical``: the engine's evaluations, alarm transitions and final states equal the
  loop's, on the gauges the loop ran.
* ``rules_3h_rain_sum_1m_vs_running_sum_loop`` — the same engine figure against a cleverer per-row loop
  (a deque and a running sum per gauge, the machine's ``step_alarm``), which only handles readings in time
  order and sum windows; ``identical`` as above.
* ``rules_replay_7_days`` — "test this rule on the last 7 days" for 200 gauges of 5-minute data (403,200
  readings): ``replay`` (level intervals and alarms) against ``reference_replay``.

The loops are timed on a sample of the gauges (all of them with ``--quick``) and their rate is readings
per second over that sample; the engine is timed on the whole batch. The engine's value is the median of
three runs after one cold run (whose time is in ``params``: it includes the first touches of fresh
memory); the loops run once. Figures are wall-clock; ``params`` also gives each side's process CPU
seconds and the ratio of CPU rates (``cpu_ratio``), steadier on a machine shared with other work.
Nothing here touches the database.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections import deque
from pathlib import Path

import numpy as np

T0 = 1_719_763_200  # 2024-06-30T16:00:00Z, midnight in Xiamen
STEP_S = 300  # five-minute rain

SIZES = {
    "full": {"gauges": 2000, "readings_per_gauge": 500, "loop_gauges": 100, "replay_gauges": 200,
             "replay_days": 7, "replay_loop_gauges": 10},
    "quick": {"gauges": 200, "readings_per_gauge": 100, "loop_gauges": 200, "replay_gauges": 20,
              "replay_days": 2, "replay_loop_gauges": 20},
}  # fmt: skip


def rain_rule():
    from citywatch.monitoring.evaluation import Rule

    return Rule(
        "window",
        {"blue": 20.0, "yellow": 30.0, "orange": 50.0, "red": 100.0},
        window_minutes=180,
        aggregate="sum",
        margin=5.0,
        hold_minutes=60,
    )


def synthetic_rain(gauges: int, per_gauge: int, seed: int):
    """Five-minute rain (mm, 0.1 mm resolution) with a few storms per gauge, in arrival order."""
    from citywatch.monitoring.evaluation import Readings

    rng = np.random.default_rng(seed)
    steps = np.arange(per_gauge, dtype=np.float64)
    storms = max(1, per_gauge // 150)
    intensity = np.zeros((gauges, per_gauge))
    for _ in range(storms):  # a loop over storms, not readings
        centre = rng.uniform(0, per_gauge, (gauges, 1))
        width = rng.uniform(6, 36, (gauges, 1))
        peak = rng.gamma(2.0, 2.0, (gauges, 1))
        intensity += peak * np.exp(-(((steps - centre) / width) ** 2))
    rain = intensity * rng.gamma(2.0, 0.5, intensity.shape)
    rain[rng.random(rain.shape) < 0.3] = 0.0
    value = np.round(rain, 1).T.ravel()
    station = np.tile(np.arange(gauges, dtype=np.int64), per_gauge)
    times = np.repeat(T0 + np.arange(per_gauge, dtype=np.int64) * STEP_S, gauges)
    return Readings(station, times, value)


def _line(name, value, unit, baseline, baseline_value, identical, **params) -> dict:
    return {
        "name": name,
        "value": round(float(value), 3),
        "unit": unit,
        "baseline": baseline,
        "baseline_value": round(float(baseline_value), 3),
        "ratio": round(float(value) / float(baseline_value), 2),
        "identical": bool(identical),
        "params": params,
    }


class Clock:
    """Wall and process CPU seconds of a block (``with Clock() as c: …``; then ``c.wall``, ``c.cpu``)."""

    def __enter__(self):
        gc.collect()
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def _timed(fn, repeats: int = 3):
    """(result, cold Clock, median warm wall seconds, median warm CPU seconds)."""
    with Clock() as cold:
        result = fn()
    warm = []
    for _ in range(repeats):
        with Clock() as clock:
            result = fn()
        warm.append(clock)
    return result, cold, statistics.median(c.wall for c in warm), statistics.median(c.cpu for c in warm)


def running_sum_loop(rule, batch):
    """A per-row loop with a deque and a running sum per gauge (readings in time order, sum windows only):
    the alarm transitions and final states, as ``track_alarms`` gives them."""
    from citywatch.monitoring.evaluation import LEVELS, SCALE, Action, AlarmState, TransitionRow, step_alarm

    window_s, hold = rule.window_s, rule.hold_minutes
    thresholds = [(int(lvl), t) for lvl, t in zip(LEVELS, rule.thresholds_q, strict=True) if t is not None]
    clear = rule.clear_q
    windows: dict[int, list] = {}
    states: dict[int, AlarmState] = {}
    transitions = []
    for s, t, v in zip(batch.station.tolist(), batch.time.tolist(), batch.value.tolist(), strict=True):
        q = round(v * SCALE)
        entry = windows.get(s)
        if entry is None:
            entry = windows[s] = [deque(), 0]
        readings = entry[0]
        readings.append((t, q))
        entry[1] += q
        while readings[0][0] <= t - window_s:
            entry[1] -= readings.popleft()[1]
        total = entry[1]
        level = 0
        for lvl, threshold in thresholds:
            if total >= threshold:
                level = lvl
        state = states.get(s, AlarmState())
        action, new = step_alarm(state, level, total < clear, t, hold)
        states[s] = new
        if action in (Action.OPEN, Action.ESCALATE, Action.CLEAR):
            lvl = state.level if action == Action.CLEAR else new.level
            transitions.append(TransitionRow(s, t, int(action), lvl, total / SCALE / 1, readings[0][0], t))
    return transitions, states


def bench_batch(size: dict, seed: int):
    from citywatch.monitoring.evaluation import Series, reference_track, track_alarms

    rule = rain_rule()
    batch = synthetic_rain(size["gauges"], size["readings_per_gauge"], seed)
    result, cold, warm_s, warm_cpu = _timed(lambda: track_alarms(rule, Series.of(batch)))
    sample = batch.take(batch.station < size["loop_gauges"])
    in_sample = result.evaluations.station < size["loop_gauges"]

    with Clock() as loop:
        evaluations, transitions, states = reference_track(rule, sample)
    ours_transitions = result.transitions.rows()
    ours_transitions = [row for row in ours_transitions if row.station < size["loop_gauges"]]
    ours_states = {s: v for s, v in result.states.to_states().items() if s < size["loop_gauges"]}
    identical = (
        result.evaluations.take(in_sample).rows() == evaluations
        and ours_transitions == transitions
        and ours_states == states
    )
    with Clock() as running:
        run_transitions, run_states = running_sum_loop(rule, sample)
    running_identical = sorted(run_transitions) == ours_transitions and run_states == ours_states

    levels = np.bincount(result.evaluations.level, minlength=5).tolist()
    common = {
        "readings": len(batch),
        "gauges": size["gauges"],
        "readings_per_gauge": size["readings_per_gauge"],
        "interval_s": STEP_S,
        "rule": "3-hour rain sum ≥ 20/30/50/100 mm (blue…red), margin 5 mm, hold 60 min",
        "evaluations_by_level": levels,
        "alarm_transitions": len(result.transitions),
        "engine_cold_s": round(cold.wall, 3),
        "engine_median_s": round(warm_s, 3),
        "engine_median_cpu_s": round(warm_cpu, 3),
        "loop_readings": len(sample),
    }
    rate = len(batch) / warm_s
    yield _line(
        "rules_3h_rain_sum_1m" if len(batch) == 1_000_000 else "rules_3h_rain_sum",
        rate,
        "readings/s",
        "per-row Python loop of the reference implementation (reference_track), on a sample of gauges",
        len(sample) / loop.wall,
        identical,
        loop_s=round(loop.wall, 3),
        loop_cpu_s=round(loop.cpu, 3),
        cpu_ratio=round((len(batch) / warm_cpu) / (len(sample) / loop.cpu), 2),
        **common,
    )
    yield _line(
        ("rules_3h_rain_sum_1m" if len(batch) == 1_000_000 else "rules_3h_rain_sum") + "_vs_running_sum_loop",
        rate,
        "readings/s",
        "per-row Python loop with a deque and a running sum per gauge + step_alarm, on a sample of gauges",
        len(sample) / running.wall,
        running_identical,
        loop_s=round(running.wall, 3),
        loop_cpu_s=round(running.cpu, 3),
        cpu_ratio=round((len(batch) / warm_cpu) / (len(sample) / running.cpu), 2),
        **common,
    )


def bench_replay(size: dict, seed: int):
    from citywatch.monitoring.evaluation import Series, reference_replay, replay

    rule = rain_rule()
    per_gauge = size["replay_days"] * 24 * 3600 // STEP_S
    history = synthetic_rain(size["replay_gauges"], per_gauge, seed + 1)
    since = T0 + 3 * 3600  # the first three hours only fill the windows
    until = T0 + per_gauge * STEP_S
    result, cold, warm_s, warm_cpu = _timed(lambda: replay(rule, Series.of(history), since, until))
    sample = history.take(history.station < size["replay_loop_gauges"])
    with Clock() as loop:
        levels, alarms = reference_replay(rule, sample, since=since, until=until)

    def within(intervals):
        return [row for row in intervals.rows() if row.station < size["replay_loop_gauges"]]

    identical = within(result.levels) == levels and within(result.alarms) == alarms
    yield _line(
        "rules_replay_7_days" if size["replay_days"] == 7 else "rules_replay",
        len(history) / warm_s,
        "readings/s",
        "per-row Python loop of the reference implementation (reference_replay), on a sample of gauges",
        len(sample) / loop.wall,
        identical,
        readings=len(history),
        gauges=size["replay_gauges"],
        days=size["replay_days"],
        level_intervals=len(result.levels),
        alarms=len(result.alarms),
        engine_cold_s=round(cold.wall, 3),
        engine_median_s=round(warm_s, 3),
        engine_median_cpu_s=round(warm_cpu, 3),
        engine_ms=round(warm_s * 1000, 1),
        loop_readings=len(sample),
        loop_s=round(loop.wall, 3),
        loop_cpu_s=round(loop.cpu, 3),
        cpu_ratio=round((len(history) / warm_cpu) / (len(sample) / loop.cpu), 2),
    )


BENCHMARKS = {"batch": bench_batch, "replay": bench_replay}


def run(quick: bool = False, seed: int = 20240501, only: list[str] | None = None):
    size = SIZES["quick" if quick else "full"]
    for name, bench in BENCHMARKS.items():
        if only and name not in only:
            continue
        yield from bench(size, seed)
        gc.collect()


def run_rules_benchmark(quick: bool = False, seed: int = 20240501) -> list[dict]:
    """Every figure of this module as a list of JSON-ready dicts (for ``citywatch bench ingest``)."""
    return list(run(quick, seed))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS))
    args = parser.parse_args(argv)
    for line in run(args.quick, args.seed, args.only):
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    sys.exit(main())
