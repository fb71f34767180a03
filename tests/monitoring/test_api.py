"""The monitoring API: feeds posting JSON and CSV with a source's token, 413, the token command, two
district personas, the alarm lifecycle through the API with its events in the outbox, and series."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from tests.monitoring.conftest import T0, at, reading

pytestmark = pytest.mark.django_db


def feed_token(source_code: str) -> str:
    out = io.StringIO()
    call_command("token", "create", "--source", source_code, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def post(token: str, body, content_type="application/json"):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client().post(
        "/api/v1/observations", data, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def recent(minutes_ago: float) -> str:
    from django.utils import timezone

    return (timezone.now() - dt.timedelta(minutes=minutes_ago)).isoformat()


def test_a_source_token_posts_json_and_csv_for_its_own_stations_only(network):
    from citywatch.monitoring.models import DataSource

    token = feed_token(network["huli"].code)
    huli = DataSource.objects.get(pk=network["huli"].pk)
    assert huli.feed_user.username == f"feed-{huli.code}" and huli.feed_user.role == "data_feed"
    body = [
        {"station": "t-huli-0", "variable": "rain", "time": recent(10), "value": 1.5},
        {"station": "t-siming-0", "variable": "rain", "time": recent(10), "value": 1.5},
    ]
    response = post(token, body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["accepted"] == 1 and answer["duplicates"] == 0
    assert [r["index"] for r in answer["rejected"]] == [1]
    assert "t-siming-0" in answer["rejected"][0]["reason"]  # (in the site language: 属于其他数据源)
    assert post(token, body).json()["duplicates"] == 1

    csv_body = f"station,variable,time,value\nt-huli-1,rain,{recent(5)},2.0\nt-huli-1,rain,{recent(0)},x\n"
    answer = post(token, csv_body, "text/csv").json()
    assert answer["accepted"] == 1 and [r["index"] for r in answer["rejected"]] == [1]


def test_too_many_readings_or_bytes_answer_413_and_store_nothing(network, settings):
    from citywatch.monitoring.models import Observation

    token = feed_token(network["siming"].code)
    settings.CITYWATCH_INGEST_MAX_READINGS = 3
    response = post(token, [reading("t-siming-0", k, 1.0) for k in range(4)])
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    settings.CITYWATCH_INGEST_MAX_BYTES = 50
    response = post(token, [reading("t-siming-0", 0, 1.0)])
    assert response.status_code == 413
    assert not Observation.objects.exists()


def test_malformed_bodies_are_refused_with_the_error_body(network):
    token = feed_token(network["siming"].code)
    for body, ctype in (
        ("{", "application/json"),
        ('{"a": 1}', "application/json"),
        ("a,b\n1,2\n", "text/csv"),
    ):
        response = post(token, body, ctype)
        assert 400 <= response.status_code < 500 and "error" in response.json(), body
    assert post(token, "x", "application/xml").status_code == 415


def _storm(station: str, minutes: range, mm: float) -> list[dict]:
    return [reading(station, m, mm) for m in minutes]


def test_an_alarm_opens_escalates_is_acknowledged_clears_and_closes(network, siming, huli):
    from citywatch.monitoring.actions.ingest import Batch, ingest
    from citywatch.notify.models import Message

    now = T0 + dt.timedelta(days=1)
    # 5 mm every 5 minutes: the 3-hour sum passes 20 (blue) at the 4th reading, 30 at the 6th
    ingest(Batch.from_records(_storm("t-siming-0", range(0, 20, 5), 5.0)), now=now)
    alarms = siming.get("/api/v1/monitoring/alarms", {"live": "true"}).json()
    assert alarms["count"] == 1
    alarm = alarms["items"][0]
    assert (alarm["level"], alarm["state"], alarm["station"]["external_id"]) == ("blue", "open", "t-siming-0")
    assert huli.get(f"/api/v1/monitoring/alarms/{alarm['id']}").status_code == 404
    assert huli.get("/api/v1/monitoring/alarms").json()["count"] == 0

    ingest(Batch.from_records(_storm("t-siming-0", range(20, 30, 5), 5.0)), now=now)
    detail = siming.get(f"/api/v1/monitoring/alarms/{alarm['id']}").json()
    assert detail["level"] == "yellow" and [e["kind"] for e in detail["events"]] == ["opened", "escalated"]

    url = f"/api/v1/monitoring/alarms/{alarm['id']}/acknowledge"
    assert siming.post(url, {"note": ""}, content_type="application/json").status_code == 422
    stale = siming.post(url, {"note": "x", "version": 1}, content_type="application/json")
    assert stale.status_code == 409
    done = siming.post(
        url, {"note": "已通知街道", "version": detail["version"]}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["state"] == "acknowledged"
    close = f"/api/v1/monitoring/alarms/{alarm['id']}/close"
    assert siming.post(close, {}, content_type="application/json").status_code == 409

    # dry: the 3-hour sum falls below 20 − 5 mm at minute 30 + 180 − 15 and must stay there an hour
    ingest(Batch.from_records(_storm("t-siming-0", range(30, 400, 5), 0.0)), now=now)
    detail = siming.get(f"/api/v1/monitoring/alarms/{alarm['id']}").json()
    assert detail["state"] == "cleared"
    assert siming.post(close, {"note": "雨停"}, content_type="application/json").json()["state"] == "closed"
    kinds = list(
        Message.objects.filter(kind__startswith="alarm.", payload__alarm=alarm["id"])
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["alarm.opened", "alarm.escalated", "alarm.acknowledged", "alarm.cleared", "alarm.closed"]


def test_a_series_is_downsampled_on_the_server(network, siming, huli):
    from citywatch.monitoring.actions.ingest import Batch, ingest

    ingest(Batch.from_records([reading("t-siming-0", m, float(m)) for m in range(0, 120, 5)]), evaluate=False)
    station = network["siming_stations"][0].pk
    query = {"station": station, "variable": "rain", "since": at(0).isoformat(), "until": at(120).isoformat()}
    raw = siming.get("/api/v1/monitoring/observations", query).json()
    assert raw["agg"] == "raw" and raw["readings"] == 23 and raw["value"][:2] == [5.0, 10.0]  # since excluded
    hourly = siming.get("/api/v1/monitoring/observations", {**query, "agg": "max", "interval": 3600}).json()
    assert hourly["value"] == [55.0, 115.0] and hourly["count"] == [11, 12]
    assert huli.get("/api/v1/monitoring/observations", query).status_code == 404


def test_rules_are_data_a_district_keeps_its_own_and_the_preview_shows_when_they_fire(
    network, siming, huli, city_admin
):
    from django.utils import timezone

    from citywatch.monitoring.actions.ingest import Batch, ingest
    from citywatch.monitoring.models import Alarm

    body = {
        "name": "思明区短时强降雨", "variable": "rain", "kind": "window", "aggregate": "sum",
        "window_minutes": 60, "blue": 10, "red": 40, "margin": 2, "station_kind": "rain_gauge",
    }  # fmt: skip
    created = siming.post("/api/v1/monitoring/rules", body, content_type="application/json")
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule["area"]["code"] == "350203"  # a district officer's rule belongs to the district
    assert huli.get(f"/api/v1/monitoring/rules/{rule['id']}").status_code == 404
    bad = siming.post("/api/v1/monitoring/rules", {**body, "blue": 50}, content_type="application/json")
    assert bad.status_code == 422 and "error" in bad.json()  # thresholds must grow from blue to red

    now = timezone.now().replace(second=0, microsecond=0)
    rows = [
        {"station": s, "variable": "rain", "time": (now - dt.timedelta(minutes=m)).isoformat(), "value": 6.0}
        for s in ("t-siming-0", "t-huli-0")
        for m in range(0, 30, 5)
    ]
    ingest(Batch.from_records(rows))
    preview = siming.get(f"/api/v1/monitoring/rules/{rule['id']}/preview", {"days": 1}).json()
    assert preview["stations"] == 3  # Siming's three gauges, not Huli's
    assert {a["level"] for a in preview["alarms"]} == {"blue"} and len(preview["alarms"]) == 1
    assert Alarm.objects.filter(rule_id=rule["id"], station__external_id="t-siming-0").exists()
    assert not Alarm.objects.filter(rule_id=rule["id"], station__external_id="t-huli-0").exists()
    url = f"/api/v1/monitoring/rules/{rule['id']}"
    patched = siming.patch(url, {"red": 30}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["red"] == 30
    assert siming.delete(url).status_code == 403  # a district switches its rule off instead
    gone = city_admin.delete(url)
    assert gone.status_code == 204, gone.content
    assert not Alarm.objects.filter(rule_id=rule["id"]).exists()


def test_the_alarm_list_shows_live_alarms_highest_level_first_then_the_newest(network, siming):
    """The duty officer's order, in the API and on the page: open and acknowledged alarms by level (red
    first), then the newest; cleared and closed ones after them, the newest first."""
    import re

    from citywatch.monitoring.models import Alarm

    s0, s1, s2 = network["siming_stations"]
    rule = network["rule"]

    def alarm(station, state, level, hours, kind="rule"):
        return Alarm.objects.create(
            kind=kind, rule=rule if kind == "rule" else None, station=station, state=state, level=level,
            opened_at=T0 + dt.timedelta(hours=hours),
        )  # fmt: skip

    blue_newest = alarm(s0, "open", "blue", 3)
    red_acknowledged = alarm(s1, "acknowledged", "red", 1)
    red_open_newer = alarm(s2, "open", "red", 2)
    stale_yellow = alarm(s0, "open", "yellow", 0.5, kind="stale")
    closed_red_newest = alarm(s1, "closed", "red", 4)
    cleared_blue = alarm(s2, "cleared", "blue", 0)
    live = [red_open_newer, red_acknowledged, stale_yellow, blue_newest]

    items = siming.get("/api/v1/monitoring/alarms").json()["items"]
    assert [a["id"] for a in items] == [a.pk for a in [*live, closed_red_newest, cleared_blue]]
    items = siming.get("/api/v1/monitoring/alarms", {"live": "true"}).json()["items"]
    assert [a["id"] for a in items] == [a.pk for a in live]

    page = siming.get("/monitoring/alarms/")  # the page's default: the live ones
    assert page.status_code == 200
    assert [int(pk) for pk in re.findall(r'<tr data-id="(\d+)"', page.content.decode())] == [
        a.pk for a in live
    ]
