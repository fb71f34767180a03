"""warnings/signals.py: the CMA Order No. 16 signals from observations at their boundaries (49.9 / 50.0 mm,
99.9 / 100.0 mm, the exact window edges, three days running, the wind scale), per area, with triggers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citywatch.monitoring.evaluation import Level, Readings
from citywatch.warnings.signals import (
    NATIONAL,
    WIND_SCALE_MS,
    gale_signals,
    high_temperature_levels,
    high_temperature_signals,
    local_days,
    rainstorm_levels,
    rainstorm_signals,
    signal_tables,
    typhoon_signals,
    wind_levels,
    wind_scale,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
T = int(dt.datetime(2024, 7, 10, 15, 0, tzinfo=SHANGHAI).timestamp())  # 15:00 local on 10 July
H = 3600
NONE, BLUE, YELLOW, ORANGE, RED = Level.NONE, Level.BLUE, Level.YELLOW, Level.ORANGE, Level.RED


def readings(*rows) -> Readings:
    station, time, value = zip(*rows, strict=True)
    return Readings(np.array(station), np.array(time), np.array(value, dtype=float))


def rain_level(*rows) -> Level:
    levels = rainstorm_levels(readings(*rows))
    assert len(levels) == 1
    return Level(int(levels.level[0]))


# --- the wind scale ----------------------------------------------------------------------------------
def test_wind_scale_table_boundaries():
    assert WIND_SCALE_MS[6:] == (10.8, 13.9, 17.2, 20.8, 24.5, 28.5, 32.7, 37.0, 41.5, 46.2, 51.0, 56.1)
    for level in range(1, 18):
        low = WIND_SCALE_MS[level]
        assert wind_scale(low) == level, low
        assert wind_scale(round(low - 0.1, 1)) == level - 1, low
    assert wind_scale(13.8) == 6 and wind_scale(13.9) == 7
    assert wind_scale([13.84, 13.85, 10.75, 10.74]).tolist() == [6, 7, 6, 5]  # rounded half up to 0.1 m/s
    assert wind_scale([0.0, 0.2, 61.2, 61.3, 75.0]).tolist() == [0, 0, 17, 17, 17]  # beyond 61.2: 17 or above
    assert wind_scale(np.array([[10.8, 17.2], [24.5, 32.7]])).tolist() == [[6, 8], [10, 12]]


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_wind_scale_refuses_impossible_speeds(bad):
    with pytest.raises(ValueError):
        wind_scale([1.0, bad])


# --- rainstorm ---------------------------------------------------------------------------------------
def test_rainstorm_levels_at_the_50_and_100_mm_boundaries():
    assert rain_level((0, T - 11 * H, 25.0), (0, T - 7 * H, 24.9), (0, T, 0.0)) == NONE  # 49.9 mm in 12 h
    assert rain_level((0, T - 11 * H, 25.0), (0, T - 7 * H, 25.0), (0, T, 0.0)) == BLUE  # 50.0 mm in 12 h
    assert rain_level((0, T - 5 * H, 30.0), (0, T - 4 * H, 19.9), (0, T, 0.0)) == NONE  # 49.9 mm in 6 h
    assert rain_level((0, T - 5 * H, 30.0), (0, T - 4 * H, 20.0), (0, T, 0.0)) == YELLOW  # 50.0 mm in 6 h
    assert rain_level((0, T - 2 * H, 30.0), (0, T - H, 19.9), (0, T, 0.0)) == NONE  # 49.9 mm in 3 h
    assert rain_level((0, T - 2 * H, 30.0), (0, T - H, 20.0), (0, T, 0.0)) == ORANGE  # 50.0 mm in 3 h
    assert rain_level((0, T - 2 * H, 60.0), (0, T - H, 39.9), (0, T, 0.0)) == ORANGE  # 99.9 mm in 3 h
    assert rain_level((0, T - 2 * H, 60.0), (0, T - H, 39.9), (0, T, 0.1)) == RED  # 100.0 mm in 3 h
    # 500 readings of 0.1 mm within 3 h are 50.0 mm exactly
    assert rain_level(*[(0, T - 20 * k, 0.1) for k in range(500)]) == ORANGE


@pytest.mark.parametrize(
    ("hours", "below", "at"),
    [(12, NONE, BLUE), (6, BLUE, YELLOW), (3, YELLOW, ORANGE)],
)
def test_rainstorm_window_edges(hours, below, at):
    # 50 mm: 20 mm at the window's edge, 30 mm just now
    edge = T - hours * H
    assert rain_level((0, edge, 20.0), (0, T, 30.0)) == below  # exactly N hours older: outside
    assert rain_level((0, edge + 1, 20.0), (0, T, 30.0)) == at  # one second younger: inside


def test_rainstorm_triggers_are_the_readings_of_the_deciding_window():
    rows = [(7, T - 4 * H, 40.0), (7, T - 2 * H, 30.0), (7, T - H, 20.0), (7, T, 5.0)]
    levels = rainstorm_levels(readings(*rows))
    assert levels.level.tolist() == [ORANGE]
    assert levels.value[0].tolist() == [95.0, 95.0, 55.0, 55.0]  # 12 h, 6 h, 3 h, 3 h
    triggers = levels.triggers(0, 2)
    assert [(t.station, t.time, t.value, t.variable) for t in triggers] == [
        (7, T - 2 * H, 30.0, "rain"),
        (7, T - H, 20.0, "rain"),
        (7, T, 5.0, "rain"),
    ]
    assert levels.triggers(0, 3) == []  # red not met


def test_rainstorm_per_district_any_gauge_or_n_gauges():
    area_of_station = np.array([0, 0, 0, 1, -1])
    rows = [
        (0, T - H, 50.0),  # district 0: orange (50 mm in 3 h)
        (1, T - 5 * H, 50.0),  # district 0: yellow (50 mm in 6 h)
        (2, T - 5 * H, 10.0),  # district 0: nothing
        (3, T - 5 * H, 49.9),  # district 1: nothing
        (4, T - H, 200.0),  # no district: ignored
    ] + [(s, T, 0.0) for s in range(5)]  # every gauge reports now (each window ends at its newest reading)
    signals = rainstorm_signals(readings(*rows), area_of_station)
    assert [(s.area, s.level, s.value, s.stations) for s in signals] == [(0, ORANGE, 50.0, (0,))]
    assert signals[0].hazard == "rainstorm" and signals[0].criterion == NATIONAL.rainstorm[2]
    assert [(t.station, t.time, t.value) for t in signals[0].triggers] == [(0, T - H, 50.0), (0, T, 0.0)]
    two = rainstorm_signals(readings(*rows), area_of_station, min_stations=2)
    assert [(s.area, s.level, s.value, s.stations) for s in two] == [(0, YELLOW, 50.0, (0, 1))]
    assert rainstorm_signals(readings(*rows), area_of_station, min_stations=3) == []


def test_a_stale_gauge_takes_no_part():
    rows = [(0, T - 2 * H, 60.0), (1, T, 60.0)]
    fresh = rainstorm_signals(readings(*rows), np.array([0, 1]), now=T, max_age_minutes=60)
    assert [(s.area, s.level) for s in fresh] == [(1, ORANGE)]
    assert len(rainstorm_signals(readings(*rows), np.array([0, 1]))) == 2


def test_rainstorm_area_of_station_must_cover_every_station():
    with pytest.raises(ValueError):
        rainstorm_signals(readings((3, T, 60.0)), np.array([0, 0]))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 16 * 6), st.integers(0, 400)),  # 10-minute steps, tenths
        min_size=1,
        max_size=80,
    )
)
def test_rainstorm_levels_equal_a_brute_force_count_in_tenths(rows):
    data = readings(*[(s, T + k * 600, tenths / 10) for s, k, tenths in rows])
    levels = rainstorm_levels(data)
    latest: dict[int, dict[int, int]] = {}
    for s, k, tenths in rows:
        latest.setdefault(s, {})[T + k * 600] = tenths  # the last value given wins
    expected = []
    for s in sorted(latest):
        newest = max(latest[s])
        level = 0
        for criterion in NATIONAL.rainstorm:
            total = sum(
                v for t, v in latest[s].items() if newest - criterion.window_minutes * 60 < t <= newest
            )
            if total >= round(criterion.mm * 10):
                level = int(criterion.level)
        expected.append((s, level))
    assert list(zip(levels.station.tolist(), levels.level.tolist(), strict=True)) == expected


# --- tables ------------------------------------------------------------------------------------------
def test_tables_are_configuration_with_the_national_defaults():
    assert signal_tables(None) is NATIONAL
    assert signal_tables(NATIONAL.as_table()) == NATIONAL
    local = signal_tables({"rainstorm": {"blue": {"mm": 40}}})
    rows = [(0, T - 8 * H, 40.0)]
    assert rain_level(*rows) == NONE
    assert rainstorm_levels(readings(*rows), tables=local).level.tolist() == [BLUE]
    dropped = signal_tables({"rainstorm": {"red": None}})
    assert [c.level for c in dropped.rainstorm] == [BLUE, YELLOW, ORANGE]
    added = signal_tables({"high_temperature": {"blue": {"celsius": 33.0, "days_running": 2}}})
    assert [c.level for c in added.high_temperature] == [BLUE, YELLOW, ORANGE, RED]


@pytest.mark.parametrize(
    "override",
    [
        {"hail": {"blue": {"mm": 1}}},
        {"rainstorm": {"purple": {"mm": 1}}},
        {"rainstorm": {"blue": {"inches": 2}}},
        {"rainstorm": {"blue": {"mm": -5}}},
        {"rainstorm": {"blue": {"window_minutes": 0}}},
        {"gale": {"blue": {"mean_scale": 30}}},
        {"high_temperature": {"yellow": {"window_minutes": 60}}},  # both days_running and a window
        {"high_temperature": {"blue": {"celsius": 33}}},  # a new level without its rule
        {"wind_scale_ms": [0.0, 5.0, 3.0]},
    ],
)
def test_bad_tables_are_refused(override):
    with pytest.raises(ValueError):
        signal_tables(override)


# --- gale and typhoon --------------------------------------------------------------------------------
def test_gale_levels_from_mean_wind_and_gust():
    def gale(mean_rows=(), gust_rows=()):
        levels = wind_levels(
            readings(*mean_rows) if mean_rows else None, readings(*gust_rows) if gust_rows else None
        )
        return levels.level.tolist()

    assert gale(mean_rows=[(0, T, 10.7)]) == [NONE]  # mean level 5
    assert gale(mean_rows=[(0, T, 10.8)]) == [BLUE]  # mean level 6
    assert gale(gust_rows=[(0, T, 13.8)]) == [NONE]  # gust level 6
    assert gale(gust_rows=[(0, T, 13.9)]) == [BLUE]  # gust level 7
    assert gale(mean_rows=[(0, T, 17.2)]) == [YELLOW]  # mean 8
    assert gale(gust_rows=[(0, T, 28.5)]) == [ORANGE]  # gust 11
    assert gale(mean_rows=[(0, T, 32.7)]) == [RED]  # mean 12
    # "within 12 h": a level-9 gust exactly 12 h ago is outside the yellow window, inside the blue one
    assert gale(gust_rows=[(0, T - 12 * H, 20.8), (0, T, 1.0)]) == [BLUE]
    assert gale(gust_rows=[(0, T - 12 * H + 1, 20.8), (0, T, 1.0)]) == [YELLOW]
    assert gale(gust_rows=[(0, T - 24 * H, 20.8), (0, T, 1.0)]) == [NONE]


def test_gale_signal_names_the_readings_and_typhoon_needs_a_context():
    mean = readings((0, T - H, 12.0), (0, T, 11.0), (1, T, 5.0))
    gust = readings((0, T - 2 * H, 15.0), (1, T - H, 17.0), (1, T, 9.0))
    area_of_station = np.array([0, 1])
    signals = gale_signals(mean, gust, area_of_station)
    assert [(s.area, s.level, s.value) for s in signals] == [(0, BLUE, 7.0), (1, BLUE, 7.0)]
    assert [(t.station, t.time, t.value, t.variable) for t in signals[0].triggers] == [
        (0, T - H, 12.0, "wind_speed"),  # mean level 6
        (0, T - 2 * H, 15.0, "wind_gust"),  # gust level 7
    ]
    assert [(t.station, t.time, t.value, t.variable) for t in signals[1].triggers] == [
        (1, T - H, 17.0, "wind_gust"),
    ]
    # the same winds under a typhoon: blue needs mean ≥ 6 or gust ≥ 8, and a typhoon context
    assert typhoon_signals(mean, gust, area_of_station, affected=False) == []
    typhoon = typhoon_signals(mean, gust, area_of_station, affected=True)
    assert [(s.hazard, s.area, s.level) for s in typhoon] == [("typhoon", 0, BLUE)]  # station 1: gust 7 only
    assert typhoon_signals(mean, gust, area_of_station, affected=np.array([False, True])) == []


def test_typhoon_windows_are_24_12_and_6_hours():
    gust = readings((0, T - 6 * H, 41.5), (0, T, 1.0))  # a level-14 gust exactly 6 h ago
    levels = wind_levels(None, gust, hazard="typhoon")
    assert levels.level.tolist() == [ORANGE]  # inside 12 h (gust ≥ 12), outside 6 h (red)
    gust = readings((0, T - 6 * H + 1, 41.5), (0, T, 1.0))
    assert wind_levels(None, gust, hazard="typhoon").level.tolist() == [RED]


# --- high temperature --------------------------------------------------------------------------------
def local(day: int, hour: int, minute: int = 0, second: int = 0) -> int:
    """Epoch seconds of a local Shanghai time in July 2024."""
    return int(dt.datetime(2024, 7, day, hour, minute, second, tzinfo=SHANGHAI).timestamp())


def heat_level(*rows) -> Level:
    (level,) = high_temperature_levels(readings(*rows)).level.tolist()
    return Level(level)


def test_local_days_follow_shanghai_midnight():
    days = local_days([local(10, 23, 59, 59), local(11, 0, 0, 0)])
    assert days.tolist() == [dt.date(2024, 7, 10).toordinal(), dt.date(2024, 7, 11).toordinal()]
    # the same two instants are 15:59:59 and 16:00:00 UTC: one UTC day
    assert local(11, 0) - local(10, 23, 59, 59) == 1
    assert local_days([local(10, 12)], "UTC").tolist() == [dt.date(2024, 7, 10).toordinal()]


def test_yellow_needs_three_days_running():
    three = [(0, local(8, 14), 35.0), (0, local(9, 14), 35.2), (0, local(10, 14), 35.0)]
    assert heat_level(*three) == YELLOW
    levels = high_temperature_levels(readings(*three))
    assert [(t.time, t.value) for t in levels.triggers(0, 0)] == [(r[1], r[2]) for r in three]
    assert levels.value[0, 0] == 35.0
    assert heat_level((0, local(8, 14), 35.0), (0, local(9, 14), 34.9), (0, local(10, 14), 35.0)) == NONE
    # two days, a day without readings, one day: no run of three
    assert heat_level((0, local(7, 14), 35.0), (0, local(8, 14), 35.0), (0, local(10, 14), 36.0)) == NONE
    # two hot days and a gap of a day, then two more: still only two running
    gap = [(0, local(5, 14), 36.0), (0, local(6, 14), 36.0), (0, local(8, 14), 36.0), (0, local(9, 14), 36.0)]
    assert heat_level(*gap) == NONE


def test_three_days_across_local_midnight_and_while_today_is_still_cool():
    # 23:59:59 on the 8th, 00:00:00 on the 9th (one second later) and the 10th: three local days
    assert (
        heat_level((0, local(8, 23, 59, 59), 35.0), (0, local(9, 0), 35.0), (0, local(10, 13), 35.0))
        == YELLOW
    )
    # three hot days up to yesterday and a cool morning today: the run still stands
    run = [(0, local(7, 14), 36.0), (0, local(8, 14), 36.0), (0, local(9, 14), 36.0)]
    assert heat_level(*run, (0, local(10, 6), 28.0)) == YELLOW
    # … but not once a whole day has stayed below
    assert heat_level(*run, (0, local(10, 14), 34.0), (0, local(11, 6), 28.0)) == NONE


def test_orange_and_red_within_24_hours():
    assert heat_level((0, T - 24 * H, 37.0), (0, T, 30.0)) == NONE  # exactly 24 h ago: outside
    assert heat_level((0, T - 24 * H + 1, 37.0), (0, T, 30.0)) == ORANGE
    assert heat_level((0, T - H, 36.9), (0, T, 30.0)) == NONE
    assert heat_level((0, T - H, 39.9), (0, T, 30.0)) == ORANGE
    assert heat_level((0, T - H, 40.0), (0, T, 30.0)) == RED
    signals = high_temperature_signals(
        readings((0, T - H, 40.0), (0, T, 30.0), (1, T, 38.0)), np.array([4, 4])
    )
    assert [(s.area, s.level, s.value, s.stations) for s in signals] == [(4, RED, 40.0, (0,))]
    assert [(t.station, t.time, t.value, t.variable) for t in signals[0].triggers] == [
        (0, T - H, 40.0, "temperature")
    ]


def test_no_readings_no_signal():
    empty = Readings.empty()
    assert (
        len(rainstorm_levels(empty))
        == len(high_temperature_levels(empty))
        == len(wind_levels(empty, None))
        == 0
    )
    assert rainstorm_signals(empty, np.zeros(0, int)) == []
    assert high_temperature_signals(empty, np.zeros(0, int)) == []
    assert gale_signals(None, None, np.zeros(0, int)) == []
