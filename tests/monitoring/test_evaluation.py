"""monitoring/evaluation.py: rules on hand-computed series (window edges, exact decimals), the alarm machine
(hysteresis, hold time, flapping), replay, and the vectorised engine against the per-row reference loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citywatch.monitoring.evaluation import (
    NO_TIME,
    Action,
    AlarmState,
    AlarmStates,
    Level,
    Readings,
    Rule,
    Series,
    advance_alarms,
    evaluate_at,
    evaluate_latest,
    evaluate_no_data,
    history_start,
    reference_evaluate_latest,
    reference_no_data,
    reference_replay,
    reference_track,
    replay,
    replay_no_data,
    step_alarm,
    track_alarms,
)

T = 1_700_000_000  # a reference epoch second
MIN = 60
HOUR = 3600


def readings(*rows) -> Readings:
    """Readings from (station, time, value) rows."""
    if not rows:
        return Readings.empty()
    station, time, value = zip(*rows, strict=True)
    return Readings(np.array(station), np.array(time), np.array(value, dtype=float))


def latest(rule, *rows):
    rows_ = evaluate_latest(rule, Series.of(readings(*rows))).rows()
    assert rows_ == reference_evaluate_latest(rule, readings(*rows))
    return rows_


def only(rule, *rows):
    (row,) = latest(rule, *rows)
    return row


# --- rule kinds --------------------------------------------------------------------------------------
def test_threshold_levels_at_their_boundaries():
    rule = Rule("threshold", {"blue": 10, "yellow": 20, "orange": 30, "red": 40}, op=">=")
    values = [9.9, 10.0, 19.999999, 20.0, 39.9, 40.0, 1000.0]
    rows = latest(rule, *[(i, T, v) for i, v in enumerate(values)])
    assert [r.level for r in rows] == [0, 1, 1, 2, 3, 4, 4]
    assert [r.value for r in rows] == values
    assert all(r.first_time == r.ref_time == r.time == T and r.count == 1 for r in rows)


def test_strict_and_downward_thresholds():
    strict = Rule("threshold", {"blue": 10}, op=">")
    assert only(strict, (0, T, 10.0)).level == 0
    assert only(strict, (0, T, 10.000001)).level == Level.BLUE
    low = Rule("threshold", {"blue": 5, "red": 1}, op="<")  # yellow and orange left undefined
    assert [r.level for r in latest(low, (0, T, 5.0), (1, T, 4.9), (2, T, 1.0), (3, T, 0.9))] == [0, 1, 1, 4]
    low_eq = Rule("threshold", {"blue": 5, "red": 1}, op="<=")
    assert [r.level for r in latest(low_eq, (0, T, 5.1), (1, T, 5.0), (2, T, 1.0))] == [0, 1, 4]


def test_threshold_uses_the_newest_reading_not_the_largest():
    rule = Rule("threshold", {"red": 40})
    row = only(rule, (0, T - 600, 99.0), (0, T, 5.0), (0, T - 300, 50.0))
    assert (row.level, row.value, row.time) == (0, 5.0, T)


def test_window_sum_edge_a_reading_exactly_n_minutes_older_is_outside():
    rule = Rule("window", {"orange": 50}, window_minutes=180, aggregate="sum")
    outside = only(rule, (0, T - 3 * HOUR, 25.0), (0, T - HOUR, 24.9), (0, T, 25.0))
    assert (outside.level, outside.value, outside.first_time, outside.count) == (0, 49.9, T - HOUR, 2)
    inside = only(rule, (0, T - 3 * HOUR + 1, 25.0), (0, T - HOUR, 24.9), (0, T, 0.1))
    assert (inside.level, inside.value, inside.first_time, inside.count) == (
        Level.ORANGE,
        50.0,
        T - 3 * HOUR + 1,
        3,
    )
    assert inside.ref_time == T


def test_window_sum_is_exact_on_decimals():
    rule = Rule("window", {"orange": 50, "red": 100}, window_minutes=180)
    # 500 readings of 0.1 mm: a float sum is not 50.0, the rule's sum is
    assert math.fsum([0.1] * 500) == 50.0 and sum([0.1] * 500) != 50.0
    row = only(rule, *[(0, T - 20 * k, 0.1) for k in range(500)])
    assert (row.level, row.value, row.count) == (Level.ORANGE, 50.0, 500)
    assert only(rule, (0, T - 600, 10.1), (0, T - 300, 19.9), (0, T, 20.0)).level == Level.ORANGE
    assert only(rule, (0, T - 600, 10.1), (0, T - 300, 19.8), (0, T, 20.0)).level == 0
    assert only(rule, (0, T - 60, 99.9), (0, T, 0.0)).level == Level.ORANGE
    assert only(rule, (0, T - 60, 99.9), (0, T, 0.1)).level == Level.RED


def test_window_mean_is_compared_as_a_fraction():
    rows = [(0, T - 120, 1.0), (0, T - 60, 2.0), (0, T, 4.0)]  # mean 7/3 = 2.3333…
    assert only(Rule("window", {"blue": 2.333333}, window_minutes=5, aggregate="mean"), *rows).level == 1
    assert only(Rule("window", {"blue": 2.333334}, window_minutes=5, aggregate="mean"), *rows).level == 0
    assert (
        only(Rule("window", {"blue": 2.333334}, window_minutes=5, aggregate="mean", op="<"), *rows).level == 1
    )
    row = only(Rule("window", {"blue": 1}, window_minutes=5, aggregate="mean"), *rows)
    assert row.value == 7 / 3 and row.count == 3


def test_window_max_and_min_name_the_latest_extreme_reading():
    rows = [
        (0, T - 10 * MIN, 9.0),
        (0, T - 9 * MIN, 5.0),
        (0, T - 8 * MIN, 7.0),
        (0, T - 7 * MIN, 7.0),
        (0, T, 3.0),
    ]
    high = only(Rule("window", {"blue": 7}, window_minutes=10, aggregate="max"), *rows)
    assert (high.level, high.value, high.ref_time, high.first_time) == (1, 7.0, T - 7 * MIN, T - 9 * MIN)
    low = only(Rule("window", {"blue": 3}, window_minutes=10, aggregate="min", op="<="), *rows)
    assert (low.level, low.value, low.ref_time) == (1, 3.0, T)
    wide = only(
        Rule("window", {"blue": 9}, window_minutes=10, aggregate="max"),
        (0, T - 10 * MIN + 1, 9.0),
        (0, T, 3.0),
    )
    assert (wide.level, wide.ref_time) == (1, T - 10 * MIN + 1)


def test_rate_of_change_rise_and_fall():
    rise = Rule("rate", {"blue": 0.5, "red": 1.0}, window_minutes=60, direction="rise")
    rows = [(0, T - HOUR, 1.0), (0, T - HOUR + 1, 1.2), (0, T - 30 * MIN, 1.5), (0, T, 1.7)]
    row = only(rise, *rows)  # the 1.0 exactly an hour before is outside: the rise is 0.5, not 0.7
    assert (row.level, row.value, row.ref_time, row.first_time) == (
        Level.BLUE,
        0.5,
        T - HOUR + 1,
        T - HOUR + 1,
    )
    falling = [(0, T - 30 * MIN, 3.0), (0, T - 20 * MIN, 2.0), (0, T, 1.0)]
    assert only(rise, *falling).value == 0.0  # a rise is never negative
    fall = Rule("rate", {"blue": 0.5, "red": 2.0}, window_minutes=60, direction="fall", op=">")
    row = only(fall, *falling)
    assert (row.level, row.value, row.ref_time) == (Level.BLUE, 2.0, T - 30 * MIN)
    assert only(Rule("rate", {"red": 2.0}, window_minutes=60, direction="fall"), *falling).level == Level.RED


def test_no_data_for_n_minutes():
    rule = Rule("no_data", {"blue": 30, "red": 120})
    stations = [0, 1, 2, 3, 4]
    last = [T - 30 * MIN, T - 30 * MIN + 1, T - 120 * MIN, T, NO_TIME]
    ev = evaluate_no_data(rule, stations, last, now=T)
    assert ev.rows() == reference_no_data(rule, stations, last, T)
    assert ev.level.tolist() == [1, 0, 4, 0, 4]
    assert ev.value.tolist() == [30.0, 30 - 1 / 60, 120.0, 0.0, math.inf]
    assert ev.safe.tolist() == [False, True, False, True, False]
    strict = evaluate_no_data(Rule("no_data", {"blue": 30}, op=">"), [0, 1], [T - 1800, T - 1801], now=T)
    assert strict.level.tolist() == [0, 1]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "threshold", "levels": {}},
        {"kind": "threshold", "levels": {"blue": 10, "yellow": 5}},
        {"kind": "threshold", "levels": {"blue": 10, "yellow": 10}},
        {"kind": "threshold", "levels": {"blue": 1, "yellow": 5}, "op": "<"},
        {"kind": "threshold", "levels": {"purple": 1}},
        {"kind": "threshold", "levels": {"blue": float("nan")}},
        {"kind": "threshold", "levels": {"blue": 1}, "op": "=="},
        {"kind": "threshold", "levels": {"blue": 1}, "margin": -1},
        {"kind": "threshold", "levels": {"blue": 1}, "hold_minutes": 1.5},
        {"kind": "window", "levels": {"blue": 1}},
        {"kind": "window", "levels": {"blue": 1}, "window_minutes": 10, "aggregate": "median"},
        {"kind": "rate", "levels": {"blue": 1}, "window_minutes": 10, "op": "<"},
        {"kind": "no_data", "levels": {"blue": 0}},
        {"kind": "sometimes", "levels": {"blue": 1}},
    ],
)
def test_bad_rules_are_refused(kwargs):
    with pytest.raises(ValueError):
        Rule(**kwargs)


def test_bad_readings_are_refused():
    with pytest.raises(ValueError):
        readings((0, T, float("nan")))
    with pytest.raises(ValueError):
        readings((-1, T, 1.0))
    with pytest.raises(ValueError):
        readings((0, T, 2e9))
    with pytest.raises(ValueError):
        Readings(np.array([0]), np.array([1.5]), np.array([1.0]))


def test_series_sorts_and_a_repeated_reading_keeps_the_last_value():
    history = readings((1, T, 5.0), (0, T - 60, 1.0), (0, T, 2.0))
    batch = readings((0, T, 3.0), (1, T - 60, 4.0))
    s = Series.of(history, batch)
    assert s.station.tolist() == [0, 0, 1, 1]
    assert s.time.tolist() == [T - 60, T, T - 60, T]
    assert s.value.tolist() == [1.0, 3.0, 4.0, 5.0]
    assert s.stations.tolist() == [0, 1] and s.newest().tolist() == [1, 3]
    # the arrival-order path (times nondecreasing) and the general path agree
    rng = np.random.default_rng(3)
    st_, tt = rng.integers(0, 50, 2000), np.sort(rng.integers(0, 500, 2000))
    vv = rng.uniform(0, 10, 2000)
    fast = Series.of(Readings(st_, tt, vv))
    shuffled = rng.permutation(2000)
    slow = Series.of(Readings(st_[shuffled], tt[shuffled], vv[shuffled]))
    assert np.array_equal(fast.station, slow.station) and np.array_equal(fast.time, slow.time)


def test_history_start_covers_the_longest_window_before_the_oldest_reading():
    batch = readings((0, T, 1.0), (1, T - 300, 1.0))
    rules = [Rule("threshold", {"blue": 1}), Rule("window", {"blue": 1}, window_minutes=180)]
    assert history_start(batch, rules) == T - 300 - 3 * HOUR
    assert history_start(batch, rules[:1]) is None


# --- the alarm machine -------------------------------------------------------------------------------
RAIN_3H = Rule(
    "window",
    {"blue": 50, "yellow": 75, "orange": 100, "red": 150},
    window_minutes=5,  # short window: each value below is the window's only reading
    margin=5.0,
    hold_minutes=30,
)


def run_machine(rule, values, step_s=5 * MIN, start=T):
    """Feed one station's readings one at a time; return the actions and the final state."""
    state, actions = AlarmState(), []
    for k, v in enumerate(values):
        (row,) = evaluate_latest(rule, Series.of(readings((0, start + k * step_s, v)))).rows()
        action, state = step_alarm(state, row.level, row.safe, row.time, rule.hold_minutes)
        actions.append(action)
    return actions, state


def test_open_escalate_hold_and_clear_after_the_hold_time():
    values = [48, 52, 80, 55, 49, 44, 44, 44, 44, 44, 44, 44]
    actions, state = run_machine(RAIN_3H, values)
    A = Action
    assert actions == [
        A.NONE,  # 48: below blue
        A.OPEN,  # 52: blue
        A.ESCALATE,  # 80: yellow
        A.HOLD,  # 55: blue now, but the alarm stays yellow (no downgrade until it clears)
        A.HOLD,  # 49: below blue, not below 50 − 5
        A.HOLD,  # 44: safe from here …
        A.HOLD,
        A.HOLD,
        A.HOLD,
        A.HOLD,
        A.HOLD,  # … 25 minutes safe
        A.CLEAR,  # 30 minutes safe
    ]
    assert state == AlarmState(0, None, T + 11 * 5 * MIN)


def test_hold_levels_and_safe_clock():
    state = AlarmState()
    _, state = step_alarm(state, 3, False, T, 30)
    assert state.level == 3
    action, state = step_alarm(state, 1, False, T + 60, 30)
    assert (action, state.level) == (Action.HOLD, 3)
    action, state = step_alarm(state, 0, True, T + 120, 30)
    assert (action, state.safe_since) == (Action.HOLD, T + 120)
    action, state = step_alarm(state, 0, False, T + 1200, 30)  # not safe again: the clock restarts
    assert (action, state.safe_since) == (Action.HOLD, None)
    action, state = step_alarm(state, 0, True, T + 1260, 30)
    action, state = step_alarm(state, 0, True, T + 1260 + 1799, 30)
    assert action == Action.HOLD
    action, state = step_alarm(state, 0, True, T + 1260 + 1800, 30)
    assert (action, state) == (Action.CLEAR, AlarmState(0, None, T + 3060))
    # an evaluation not newer than the last one changes nothing
    assert step_alarm(state, 4, False, T + 3060, 30) == (Action.NONE, state)


def test_a_flapping_sensor_produces_one_alarm_not_hundreds():
    flapping = [49.9 if k % 2 else 50.1 for k in range(200)]
    actions, state = run_machine(RAIN_3H, flapping)
    assert actions.count(Action.OPEN) == 1 and actions.count(Action.CLEAR) == 0 and state.level == 1
    # dipping below the clear threshold for less than the hold time does not clear either
    dips = [60 if k % 4 else 40 for k in range(200)]
    actions, _ = run_machine(RAIN_3H, dips)
    assert actions.count(Action.OPEN) == 1 and actions.count(Action.CLEAR) == 0
    # without hysteresis and hold time, the same sensor would open and clear an alarm every 10 minutes
    bare = Rule("window", {"blue": 50}, window_minutes=5)
    actions, _ = run_machine(bare, flapping)
    assert actions.count(Action.OPEN) == 100 and actions.count(Action.CLEAR) == 100
    # after the storm, the alarm clears once
    actions, state = run_machine(RAIN_3H, flapping + [0.0] * 7)
    assert actions.count(Action.CLEAR) == 1 and state.level == 0


def test_track_alarms_over_a_batch_equals_one_reading_at_a_time():
    rng = np.random.default_rng(7)
    n = 600
    values = np.round(np.clip(60 + 50 * np.sin(np.arange(n) / 15) + rng.normal(0, 8, n), 0, 200), 1)
    rows = [(k % 3, T + (k // 3) * 300, float(v)) for k, v in enumerate(values)]
    whole = track_alarms(RAIN_3H, Series.of(readings(*rows)))
    assert len(whole.transitions) > 10
    # the same readings in batches of 7, with the history the app would fetch and the states carried over
    states, transitions = AlarmStates.empty(), []
    for k in range(0, n, 7):
        batch = readings(*rows[k : k + 7])
        since = history_start(batch, [RAIN_3H])
        history = readings(*[r for r in rows[:k] if r[1] > since])
        result = track_alarms(RAIN_3H, Series.of(history, batch), states, since=int(batch.time.min()))
        states = result.states
        transitions += result.transitions.rows()
    assert sorted(transitions) == whole.transitions.rows()  # (station, time) order
    assert states.to_states() == whole.states.to_states()
    # sending the last batch again changes nothing
    again = track_alarms(RAIN_3H, Series.of(readings(*rows)), states, since=T)
    assert len(again.transitions) == 0 and again.states.to_states() == states.to_states()


def test_advance_alarms_from_open_states_and_for_no_data():
    rule = Rule("no_data", {"blue": 30, "red": 120}, hold_minutes=10)
    states = AlarmStates.from_states({0: AlarmState(1, None, T - 60), 2: AlarmState(4, T - 600, T - 60)})
    ev = evaluate_no_data(rule, [0, 1, 2], [T - 3 * HOUR, T - 45 * MIN, T - 60], now=T)
    result = advance_alarms(ev, states, rule.hold_minutes)
    rows = result.transitions.rows()
    assert [(r.station, r.action, r.level) for r in rows] == [
        (0, Action.ESCALATE, 4),
        (1, Action.OPEN, 1),
        (2, Action.CLEAR, 4),  # safe since 10 minutes (carried in), so it clears
    ]
    assert result.states.to_states() == {
        0: AlarmState(4, None, T),
        1: AlarmState(1, None, T),
        2: AlarmState(0, None, T),
    }


# --- replay ------------------------------------------------------------------------------------------
def test_replay_level_intervals_and_alarms():
    rule = Rule("threshold", {"blue": 50, "yellow": 75}, margin=5, hold_minutes=10)
    values = [10, 55, 60, 80, 52, 40, 40, 40, 60, 20]
    rows = [(3, T + k * 300, float(v)) for k, v in enumerate(values)]
    r = replay(rule, Series.of(readings(*rows)), since=T, until=T + 3 * HOUR)
    t = [T + k * 300 for k in range(len(values))]
    assert [tuple(x) for x in r.levels.rows()] == [
        (3, 1, t[1], t[3], False, 2, 60.0, t[2]),
        (3, 2, t[3], t[4], False, 1, 80.0, t[3]),
        (3, 1, t[4], t[5], False, 1, 52.0, t[4]),
        (3, 1, t[8], t[9], False, 1, 60.0, t[8]),
    ]
    assert [tuple(x) for x in r.alarms.rows()] == [
        (3, 2, t[1], t[7], False, 6, 80.0, t[3]),  # safe from t5, cleared 10 minutes later at t7
        (3, 1, t[8], T + 3 * HOUR, True, 2, 60.0, t[8]),  # still open at the end
    ]
    assert (r.levels.rows(), r.alarms.rows()) == reference_replay(
        rule, readings(*rows), since=T, until=T + 3 * HOUR
    )


def test_replay_no_data_intervals():
    rule = Rule("no_data", {"blue": 30, "red": 60})
    rows = [(0, T, 1.0), (0, T + 40 * MIN, 1.0), (0, T + 150 * MIN, 1.0)]
    out = replay_no_data(rule, Series.of(readings(*rows)), since=T, until=T + 200 * MIN, stations=[0, 5])
    assert [(r.station, r.level, r.start, r.end, r.ongoing) for r in out.rows()] == [
        (0, 1, T + 30 * MIN, T + 40 * MIN, False),
        (0, 1, T + 70 * MIN, T + 100 * MIN, False),
        (0, 4, T + 100 * MIN, T + 150 * MIN, False),
        (0, 1, T + 180 * MIN, T + 200 * MIN, True),
        (5, 4, T, T + 200 * MIN, True),  # never reported
    ]


# --- the engine against the per-row reference --------------------------------------------------------
VALUES = st.one_of(st.integers(-50, 150), st.integers(0, 2)).map(lambda k: k / 10)  # some with many ties
TIMES = st.tuples(st.integers(0, 60), st.sampled_from([0, 0, 0, 1, 59])).map(lambda p: T + p[0] * 60 + p[1])


@st.composite
def batch(draw, stations=6, max_size=60):
    n_st = draw(st.integers(1, stations))
    rows = draw(st.lists(st.tuples(st.integers(0, n_st - 1), TIMES, VALUES), max_size=max_size))
    return readings(*rows)


@st.composite
def rules(draw):
    kind = draw(st.sampled_from(["threshold", "window", "rate"]))
    op = draw(st.sampled_from([">", ">="] if kind == "rate" else [">", ">=", "<", "<="]))
    chosen = sorted(draw(st.sets(st.integers(1, 4), min_size=1)))
    values = sorted(draw(st.sets(st.integers(-20, 60), min_size=len(chosen), max_size=len(chosen))))
    if op in ("<", "<=") and kind != "rate":
        values = values[::-1]
    levels = {Level(lvl): v / 4 for lvl, v in zip(chosen, values, strict=True)}
    return Rule(
        kind,
        levels,
        op=op,
        window_minutes=draw(st.integers(1, 20)),
        aggregate=draw(st.sampled_from(["sum", "mean", "max", "min"])),
        direction=draw(st.sampled_from(["rise", "fall"])),
        margin=draw(st.sampled_from([0.0, 0.5, 2.0])),
        hold_minutes=draw(st.sampled_from([0, 1, 5])),
    )


@st.composite
def alarm_states(draw):
    out = {}
    for s in draw(st.sets(st.integers(0, 7), max_size=5)):
        out[s] = AlarmState(
            draw(st.integers(0, 4)),
            draw(st.one_of(st.none(), TIMES)),
            draw(st.one_of(st.none(), TIMES)),
        )
    return out


@settings(max_examples=300, deadline=None)
@given(rules(), batch(), batch(), alarm_states(), st.one_of(st.none(), TIMES))
def test_engine_equals_the_reference_loop(rule, history, new, states, since):
    series = Series.of(history, new)
    assert evaluate_latest(rule, series).rows() == reference_evaluate_latest(rule, history, new)
    got = track_alarms(rule, series, AlarmStates.from_states(states), since)
    ev, transitions, final = reference_track(rule, history, new, states=states, since=since)
    assert got.evaluations.rows() == ev
    assert got.transitions.rows() == transitions
    assert got.states.to_states() == final


@settings(max_examples=200, deadline=None)
@given(rules(), batch(stations=3, max_size=80), st.one_of(st.none(), TIMES), st.one_of(st.none(), TIMES))
def test_replay_equals_the_reference_loop(rule, history, since, until):
    got = replay(rule, Series.of(history), since, until)
    assert (got.levels.rows(), got.alarms.rows()) == reference_replay(rule, history, since=since, until=until)


@settings(max_examples=200, deadline=None)
@given(rules(), batch(stations=3, max_size=80), st.integers(1, 12))
def test_batches_of_any_size_give_the_alarms_of_one_batch(rule, history, size):
    series = Series.of(history)
    whole = track_alarms(rule, series)
    rows = list(zip(series.station.tolist(), series.time.tolist(), series.value.tolist(), strict=True))
    rows.sort(key=lambda r: r[1])  # arrival order: by time across stations
    states, transitions = AlarmStates.empty(), []
    for k in range(0, len(rows), size):
        part = readings(*rows[k : k + size])
        since = int(part.time.min())
        context = readings(*[r for r in rows[:k] if r[1] > since - rule.history_seconds])
        result = track_alarms(rule, Series.of(context, part), states, since=since)
        states, transitions = result.states, transitions + result.transitions.rows()
    # batches interleave the stations' transitions; in (station, time) order they are the same
    assert sorted(transitions) == whole.transitions.rows()
    assert states.to_states() == whole.states.to_states()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 400)), max_size=30),
    st.sets(st.integers(1, 90), min_size=1, max_size=4),
    st.sampled_from([">", ">="]),
    st.lists(st.integers(0, 400), min_size=1, max_size=30),
)
def test_replay_no_data_agrees_with_evaluate_no_data_at_every_moment(rows, minutes, op, moments):
    chosen = sorted(minutes)
    rule = Rule("no_data", {Level(k + 1): m for k, m in enumerate(chosen)}, op=op)
    data = readings(*[(s, T + m * 60, 1.0) for s, m in rows])
    series = Series.of(data)
    since, until = T + 100 * 60, T + 400 * 60
    out = replay_no_data(rule, series, since, until, stations=[0, 1, 2, 3])
    for moment in moments:
        now = T + moment * 60 + (moment % 7) * 13
        if not since <= now < until:
            continue
        last = []
        for s in range(4):
            times = [
                t for st_, t in zip(series.station.tolist(), series.time.tolist(), strict=True) if st_ == s
            ]
            before = [t for t in times if t <= now]
            last.append(max(before) if before else NO_TIME)
        expected = evaluate_no_data(rule, [0, 1, 2, 3], last, now).level.tolist()
        got = [0, 0, 0, 0]
        for r in out.rows():
            if r.start <= now < r.end:
                got[r.station] = r.level
        for s in range(4):
            if last[s] == NO_TIME and s in series.stations.tolist():
                expected[s] = 0  # readings only after `now`: nothing known before the first one
        assert got == expected, (now, out.rows())


@pytest.mark.parametrize("seed", range(4))
def test_dense_series_with_ties_match_the_reference(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    data = Readings(rng.integers(0, 4, n), T + rng.integers(0, 2000, n) * 10, rng.integers(0, 3, n) / 10)
    for rule in [
        Rule("window", {"blue": 0.2}, window_minutes=7, aggregate="max"),
        Rule("window", {"blue": 0.0}, window_minutes=13, aggregate="min", op="<="),
        Rule("rate", {"blue": 0.1, "red": 0.2}, window_minutes=11, direction="rise", hold_minutes=2),
        Rule("rate", {"blue": 0.1}, window_minutes=3, direction="fall", margin=0.1),
    ]:
        got = track_alarms(rule, Series.of(data))
        ev, transitions, states = reference_track(rule, data)
        assert got.evaluations.rows() == ev
        assert got.transitions.rows() == transitions and got.states.to_states() == states


def test_evaluate_at_chosen_rows():
    rule = Rule("window", {"blue": 3}, window_minutes=2)
    s = Series.of(readings((0, T, 1.0), (0, T + 60, 1.0), (0, T + 120, 1.0), (0, T + 180, 1.0)))
    ev = evaluate_at(rule, s, [0, 1, 2, 3])
    assert ev.value.tolist() == [1.0, 2.0, 2.0, 2.0] and ev.level.tolist() == [0, 0, 0, 0]
