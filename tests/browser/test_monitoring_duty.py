"""The monitoring hub in a real browser: the duty screen's alarms panel shows an alarm opened while the test
pushes readings through the ingestion (over the event stream, no reload); the duty officer acknowledges it
from the panel; the station map draws the stations coloured by their state. Screenshots at 1920×1080 go to
var/screenshots/ (looked at by people, not compared)."""

import datetime
import importlib
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def small_monitoring_demo():
    from django.apps import apps

    from citywatch.demo.monitoring import load_monitoring

    # A transactional test starts from an emptied database: the variable catalogue (a migration's data) too.
    importlib.import_module("citywatch.monitoring.migrations.0002_variables").seed(apps, None)
    return load_monitoring(gauges=12, history_hours=24)


def push_storm(station, values, minutes=10):
    """Readings of ``station`` ending now, through the ingestion function (as a feed would send them)."""
    from citywatch.monitoring.actions.ingest import ingest_records

    now = timezone.now().replace(microsecond=0)
    records = [
        {"source": station.source.code, "station": station.external_id, "variable": "rain",
         "time": (now - datetime.timedelta(minutes=minutes * (len(values) - 1 - i))).isoformat(), "value": v}
        for i, v in enumerate(values)
    ]  # fmt: skip
    with transaction.atomic():
        result = ingest_records(records)
    assert not result.rejected, result.rejected
    return result


def test_an_alarm_appears_on_the_duty_screen_and_is_acknowledged(page, demo_live_server, settings):
    from citywatch.monitoring.models import Alarm, Station

    settings.CITYWATCH_EVENTS_POLL_SECONDS = 0.2
    small_monitoring_demo()
    gauge = (
        Station.objects.filter(kind="rain_gauge", area__path__contains=".350212.")
        .select_related("source")
        .first()
    )
    base = demo_live_server.url
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1920, "height": 1080})
    login(page, base, "duty_officer")
    page.wait_for_load_state()
    page.goto(f"{base}/duty/")
    page.wait_for_selector("#panel-monitoring-alarms", state="attached")
    page.wait_for_selector("body[data-live=open]", state="attached", timeout=15_000)
    assert "没有未处理的告警" in page.inner_text("#panel-monitoring-alarms")

    push_storm(gauge, [12.0, 18.0, 25.0, 30.0])  # 85 mm within the hour: the 3-hour and 1-hour rules fire
    item = page.wait_for_selector("#duty-alarms li[data-state=open]", timeout=20_000)
    text = page.inner_text("#panel-monitoring-alarms")
    assert gauge.name in text and "3小时累计雨量" in text and "橙色" in text or "红色" in text, text
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "duty-screen.png"))

    alarm_id = int(item.get_attribute("data-id"))
    form = page.locator(f'#duty-alarms li[data-id="{alarm_id}"] form.alarm-ack')
    form.locator("input[name=note]").fill("已通知同安区防汛办，现场核查")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".messages li", timeout=15_000)
    assert "已确认告警" in page.inner_text(".messages")
    alarm = Alarm.objects.get(pk=alarm_id)
    assert alarm.state == "acknowledged" and alarm.acknowledged_by.username == "duty_officer"
    assert not errors, errors


def test_the_station_map_colours_the_stations(page, demo_live_server):
    from citywatch.monitoring.models import Station

    small_monitoring_demo()
    gauge = Station.objects.filter(kind="rain_gauge").select_related("source").order_by("pk").first()
    push_storm(gauge, [20.0, 30.0, 40.0, 30.0])
    base = demo_live_server.url
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1920, "height": 1080})
    login(page, base, "duty_officer")
    page.wait_for_load_state()
    page.goto(f"{base}/monitoring/")
    page.wait_for_selector("#map[data-ready=true]", state="attached", timeout=30_000)
    states = page.evaluate(
        "() => window.citywatchStations.features.map((f) => [f.properties.id, f.properties.state])"
    )
    by_id = dict(states)
    assert by_id[gauge.pk] == "red"
    assert len(states) == Station.objects.count()
    assert page.inner_text('[data-state-count="red"]') != "0"
    page.wait_for_timeout(1500)  # the tiles and circles draw
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "station-map.png"))
    assert not errors, errors
    page.goto("about:blank")
