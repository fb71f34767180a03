"""The demo's light live feed: a demo left running stays quiet (no station goes stale, no alarm), each
station continuing from its own readings; a storm replayed afterwards corrects the gauges' dry reports
and opens its alarms; while it runs the rain gauges are left to it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from citywatch.demo import live
from citywatch.monitoring.models import Alarm, Observation, ObservationCorrection, Station
from tests.monitoring.stations_support import small_demo  # noqa: F401

pytestmark = pytest.mark.django_db


def latest(station, code):
    readings = Observation.objects.filter(station=station, variable__code=code).order_by("-time")
    return readings.values_list("value", flat=True)[0]


def test_the_live_feed_keeps_a_running_demo_quiet(small_demo, settings, tmp_path):  # noqa: F811
    from citywatch.monitoring.actions import alarms

    settings.DATA_DIR = tmp_path
    now = timezone.now() + dt.timedelta(minutes=50)
    reservoir = Station.objects.filter(kind="reservoir_level").first()
    level = latest(reservoir, "water_level")
    fed = live.feed(now)
    assert fed["accepted"] > 0 and fed["rejected"] == 0
    assert alarms.check_stale(now) == (0, 0)  # every station reported within its source's interval
    assert not Alarm.objects.exists()  # quiet: no rule fired
    assert abs(latest(reservoir, "water_level") - level) < 0.1  # continued from its own level
    for station in Station.objects.filter(synthetic=True).select_related("source"):
        step = dt.timedelta(minutes=station.source.expected_interval_minutes)
        assert station.last_seen_at > now - step, station
    assert live.feed(now)["accepted"] == 0  # nothing more is due

    # an hour later the stations report again, still quiet
    later = now + dt.timedelta(hours=1)
    assert live.feed(later)["accepted"] > 0
    assert alarms.check_stale(later) == (0, 0) and not Alarm.objects.exists()


def test_a_storm_replays_over_the_live_reports_and_leaves_the_gauges_to_it(small_demo, settings, tmp_path):  # noqa: F811
    settings.DATA_DIR = tmp_path
    live.feed()
    out = io.StringIO()
    call_command(
        "simulate", "rainstorm", "--via", "direct", "--speed", "1000000", "--hours", "6", "--step", "10",
        stdout=out,
    )  # fmt: skip
    assert "rejected 0" in out.getvalue().splitlines()[-1], out.getvalue()
    storm_alarms = Alarm.objects.filter(rule__name__startswith="3小时累计雨量")
    assert storm_alarms.exists()  # the rules evaluated the storm's readings, though older than the reports
    # the gauges' hourly dry reports in the storm's span were corrected (with their history), not doubled
    assert ObservationCorrection.objects.filter(station__kind="rain_gauge").exists()
    assert not live.storm_running(timezone.now())

    # while a storm runs, the live feed leaves the rain gauges alone
    now = timezone.now() + dt.timedelta(hours=2)
    live.mark_storm(now + dt.timedelta(minutes=30))
    gauge = Station.objects.filter(kind="rain_gauge").first()
    seen = gauge.last_seen_at
    live.feed(now)
    gauge.refresh_from_db()
    assert gauge.last_seen_at == seen
    live.mark_storm(None)
    live.feed(now)
    gauge.refresh_from_db()
    assert gauge.last_seen_at > seen
