"""Alarms from readings through the ingestion: window edges at the database, hysteresis and hold time, a
flapping sensor holding one alarm, an acknowledged alarm that escalates, staleness and no-data rules."""

from __future__ import annotations

import datetime as dt

import pytest

from citywatch.monitoring.actions.ingest import Batch, ingest
from tests.monitoring.conftest import T0, at, reading

pytestmark = pytest.mark.django_db
NOW = T0 + dt.timedelta(days=2)


def feed(rows):
    return ingest(Batch.from_records(rows), now=NOW)


def alarms(station="t-siming-0"):
    from citywatch.monitoring.models import Alarm

    return list(Alarm.objects.filter(station__external_id=station).order_by("id"))


def test_the_window_is_the_last_three_hours_with_its_older_edge_outside(network):
    # 20 mm at 00:00 and 00:05; at 03:00 the 00:00 reading is exactly 180 minutes old: outside
    feed([reading("t-siming-0", 0, 10.0), reading("t-siming-0", 5, 10.0)])
    (alarm,) = alarms()
    assert (alarm.level, alarm.value) == ("blue", 20.0)
    feed([reading("t-siming-0", 180, 0.0)])
    alarm.refresh_from_db()
    assert alarm.value == 10.0 and alarm.current_level == "" and alarm.state == "open"  # not yet cleared


def test_hysteresis_and_hold_time_clear_once_and_a_flapping_sensor_holds_one_alarm(network):
    from citywatch.monitoring.models import AlarmEvent

    # threshold rule: blue at 20, margin 5 → safe below 15, for 60 minutes
    network["rule"].kind, network["rule"].window_minutes = "threshold", 0
    network["rule"].save()
    flapping = [19.0, 21.0] * 12  # every 5 minutes around the blue threshold for two hours
    feed([reading("t-siming-1", 5 * i, v) for i, v in enumerate(flapping)])
    (alarm,) = alarms("t-siming-1")
    assert alarm.level == "blue" and alarm.state == "open"
    # below the threshold but inside the margin: never safe, so it holds
    feed([reading("t-siming-1", 120 + 5 * i, 16.0) for i in range(24)])
    assert alarms("t-siming-1")[0].state == "open"
    # safe (below 15) for 55 minutes: holds; at 60 minutes: clears
    feed([reading("t-siming-1", 240 + 5 * i, 14.0) for i in range(12)])
    assert alarms("t-siming-1")[0].state == "open"
    feed([reading("t-siming-1", 300, 14.0)])
    (alarm,) = alarms("t-siming-1")
    assert alarm.state == "cleared"
    assert list(AlarmEvent.objects.filter(alarm=alarm).values_list("kind", flat=True)) == [
        "opened",
        "cleared",
    ]


def test_an_acknowledged_alarm_escalates_in_place_and_is_open_again(network, user):
    from citywatch.monitoring.actions import alarms as actions

    feed([reading("t-siming-2", 5 * i, 5.0) for i in range(4)])  # 20 mm: blue
    (alarm,) = alarms("t-siming-2")
    actions.acknowledge(alarm, user("duty_officer"), "已通知")
    feed([reading("t-siming-2", 5 * i, 10.0) for i in range(4, 8)])  # 60 mm: orange
    (alarm,) = alarms("t-siming-2")
    assert (alarm.level, alarm.state, alarm.note) == ("orange", "open", "已通知")
    # the history keeps both steps (yellow at 30 mm, orange at 50 mm); the outbox says it once per batch
    history = [(e.kind, e.level) for e in alarm.events.order_by("id")]
    assert history == [
        ("opened", "blue"),
        ("acknowledged", "blue"),
        ("escalated", "yellow"),
        ("escalated", "orange"),
    ]
    from citywatch.notify.models import Message

    messages = Message.objects.filter(payload__alarm=alarm.pk).order_by("id")
    assert [(m.kind, m.level) for m in messages] == [
        ("alarm.opened", "blue"), ("alarm.acknowledged", "blue"), ("alarm.escalated", "orange"),
    ]  # fmt: skip


def test_a_silent_station_is_a_stale_alarm_until_it_reports(network):
    from citywatch.monitoring.actions.alarms import check_stale
    from citywatch.monitoring.models import Alarm, Station

    Station.objects.filter(source=network["huli"]).update(created_at=at(-60))
    feed([reading("t-huli-0", 0, 0.0), reading("t-huli-1", 0, 0.0)])
    opened, cleared = check_stale(now=at(14))  # 5-minute interval × 3 = 15 minutes: nobody yet …
    assert Alarm.objects.filter(kind="stale", station__source=network["huli"]).count() == 1  # … but t-huli-2
    opened, cleared = check_stale(now=at(16))
    stale = Alarm.objects.filter(kind="stale", station__source=network["huli"], state="open")
    assert sorted(stale.values_list("station__external_id", flat=True)) == [
        "t-huli-0",
        "t-huli-1",
        "t-huli-2",
    ]
    assert check_stale(now=at(17)) == (0, 0)  # one alarm each, not one per minute
    feed([reading("t-huli-0", 16, 0.0)])
    assert check_stale(now=at(18)) == (0, 1)
    assert Alarm.objects.get(kind="stale", station__external_id="t-huli-0").state == "cleared"


def test_a_no_data_rule_is_evaluated_by_the_worker(network):
    from citywatch.monitoring.actions.rules import evaluate_no_data
    from citywatch.monitoring.models import Alarm, Rule, Variable

    rule = Rule.objects.create(
        name="温度无数据（测试）", variable=Variable.objects.get(code="temperature"), kind="no_data", op=">=",
        yellow=30, red=60, target="list",
    )  # fmt: skip
    rule.stations.set(network["siming_stations"][:1])
    feed([reading("t-siming-0", 0, 25.0, variable="temperature")])
    assert evaluate_no_data(now=at(29)) == 0
    assert evaluate_no_data(now=at(31)) == 1
    assert Alarm.objects.get(rule=rule).level == "yellow"
    assert evaluate_no_data(now=at(61)) == 1
    assert Alarm.objects.get(rule=rule).level == "red"
