"""``citywatch simulate rainstorm`` end to end on a small demo: the storm's readings go through the
ingestion function, the 3-hour rainfall alarms of the district's gauges open, escalate and clear after the
storm, each step published through the outbox; a duty officer acknowledges one on the alarm page."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import CommandError, call_command

from citywatch.monitoring.models import Alarm, AlarmEvent, Observation
from citywatch.notify.models import Message
from tests.monitoring.stations_support import small_demo  # noqa: F401

pytestmark = pytest.mark.django_db


def simulate(*extra):
    out = io.StringIO()
    call_command("simulate", "rainstorm", "--via", "direct", "--speed", "1000000", *extra, stdout=out)
    return out.getvalue()


def test_a_rainstorm_opens_escalates_and_clears_alarms_in_its_district(small_demo, city_admin):  # noqa: F811
    from citywatch.monitoring.models import Station

    gauges = Station.objects.filter(kind="rain_gauge", status="active").count()
    before = Observation.objects.count()
    out = simulate("--district", "同安区", "--hours", "8", "--step", "10")
    assert "via the database directly" in out and "rejected 0" in out.splitlines()[-1], out
    # Every reading is counted: new, correcting a dry hourly report, or the same as stored.
    counts = dict(re.findall(r"(\w+) (\d+)", out.splitlines()[-1].removeprefix("done:")))
    assert int(counts["accepted"]) + int(counts["corrected"]) + int(counts["duplicates"]) == 48 * gauges, out
    assert Observation.objects.count() > before
    alarms = Alarm.objects.filter(rule__name__startswith="3小时累计雨量").select_related("station__area")
    assert alarms.exists()
    districts = {a.station.area.path.split(".")[1] for a in alarms}
    assert "350212" in districts  # 同安区
    escalated = AlarmEvent.objects.filter(alarm__in=alarms, kind="escalated")
    assert escalated.exists(), [(a.station.name, a.level, a.peak_value) for a in alarms]
    assert {a.level for a in alarms} & {"orange", "red"}
    # After the storm the 3-hour sums fall: every alarm of the rule has cleared.
    assert all(a.state == "cleared" for a in alarms), [(a.station.name, a.state) for a in alarms]
    kinds = set(Message.objects.filter(kind__startswith="alarm.").values_list("kind", flat=True))
    assert {"alarm.opened", "alarm.escalated", "alarm.cleared"} <= kinds


def test_the_duty_officer_acknowledges_an_alarm_on_the_page(small_demo, client):  # noqa: F811
    from citywatch.core.models import User

    simulate("--district", "同安区", "--hours", "2", "--step", "10")
    alarm = Alarm.objects.filter(state="open").order_by("pk").first()
    assert alarm is not None
    client.force_login(User.objects.get(username="duty_officer"))
    duty = client.get("/duty/").content.decode()
    assert f'data-id="{alarm.pk}"' in duty and "确认" in duty
    refused = client.post(f"/monitoring/alarms/{alarm.pk}/acknowledge/", {"note": "", "next": "/duty/"})
    assert refused.status_code == 302
    alarm.refresh_from_db()
    assert alarm.state == "open"
    done = client.post(
        f"/monitoring/alarms/{alarm.pk}/acknowledge/",
        {"note": "已通知同安区防汛办", "version": alarm.version, "next": "/duty/"},
    )
    assert done.status_code == 302 and done["Location"] == "/duty/"
    alarm.refresh_from_db()
    assert alarm.state == "acknowledged" and alarm.note == "已通知同安区防汛办"
    assert alarm.acknowledged_by.username == "duty_officer"
    listed = client.get("/monitoring/alarms/?state=acknowledged").content.decode()
    assert "：已通知同安区防汛办" in listed  # who, when, then the note after a full-width colon


def test_the_cell_stays_over_the_district_named(small_demo):  # noqa: F811
    """The box of 同安区 reaches into 集美区 and 海沧区: a cell crossing the box from its south-west corner
    rained on 集美区 first (its red alarms before 同安区's). The cell's centre is over 同安区 throughout."""
    import shapely

    from citywatch.demo.storm import for_district

    storm, district = for_district("同安区", span_hours=15, lead_hours=7)
    shape = shapely.from_wkb(bytes(district.boundary.wkb))
    for i in range(11):
        assert shape.contains(shapely.Point(storm.centre(i / 10))), (i, storm.centre(i / 10))


def test_the_run_speaks_the_sites_language(small_demo):  # noqa: F811
    from django.utils import translation

    with translation.override("zh-hans"):
        out = simulate("--district", "同安区", "--hours", "1", "--step", "30")
    first, *steps, last = out.splitlines()
    assert first.startswith("同安区暴雨模拟：") and "写入方式：直接写入数据库" in first, first
    assert "最大" in steps[0] and "接收" in steps[0], steps[0]
    assert last.startswith("完成：接收 ") and "拒收 0" in last and "rejected" not in out, out


def test_unknown_district(small_demo):  # noqa: F811
    with pytest.raises(CommandError, match="no district"):
        simulate("--district", "火星区")


@pytest.mark.skipif(
    __import__("shutil").which("mosquitto") is None, reason="needs mosquitto (make test installs it)"
)
def test_with_a_broker_the_storm_travels_over_mqtt(small_demo, tmp_path, settings):  # noqa: F811
    """CITYWATCH_MQTT_URL set: the readings are published (QoS 1) to citywatch/obs/<source>/<station>, and
    `citywatch ingest mqtt`'s subscriber stores them and opens the alarms."""
    import time

    from citywatch.monitoring.mqtt import ObservationSubscriber
    from tests.support.notify import Mosquitto

    broker = Mosquitto(tmp_path)
    broker.start()
    subscriber = ObservationSubscriber(broker.url, client_id="t-simulate", batch_seconds=0.1)
    try:
        subscriber.start()
        assert subscriber.subscribed.wait(10)
        settings.CITYWATCH_MQTT_URL = broker.url
        before = Observation.objects.count()
        # the history's hourly dry reports in the storm's span are corrected, not added
        from django.utils import timezone

        span = timezone.now() - dt.timedelta(hours=3)
        overlaps = Observation.objects.filter(station__kind="rain_gauge", time__gt=span).count()
        out = io.StringIO()
        call_command(
            "simulate", "rainstorm", "--speed", "1000000", "--hours", "3", "--step", "15", stdout=out
        )
        assert "via the MQTT broker" in out.getvalue() and "published 240" in out.getvalue().splitlines()[-1]
        deadline = time.monotonic() + 30
        while Observation.objects.count() < before + 240 - overlaps and time.monotonic() < deadline:
            subscriber.step(timeout=0.2)
        assert Observation.objects.count() == before + 240 - overlaps
        from citywatch.monitoring.models import DeadLetter

        # (the readings on the hour correct the dry reports: none refused)
        assert not DeadLetter.objects.exists(), list(DeadLetter.objects.values_list("reason", flat=True)[:3])
        assert Alarm.objects.filter(rule__name__startswith="3小时累计雨量").exists()
    finally:
        subscriber.stop()
        broker.stop()


def test_the_default_storm_makes_the_rainstorm_proposal_climb_from_blue(small_demo):  # noqa: F811
    """The defaults: seven hours of light rain, then the cell — the proposal for 同安区 is computed with
    each batch and climbs: blue first (50 mm in 12 h, not in 6), then yellow, orange (and red)."""
    from citywatch.warnings.models import Proposal

    out = simulate("--district", "同安区", "--step", "10")
    assert "rejected 0" in out.splitlines()[-1], out
    proposal = Proposal.objects.get(hazard__code="rainstorm", area__code="350212")
    levels = [h["level"] for h in proposal.history]
    assert levels[:3] == ["blue", "yellow", "orange"], levels
    kinds = set(Message.objects.filter(kind="warning.proposed").values_list("level", flat=True))
    assert {"blue", "yellow", "orange"} <= kinds
