"""The monitoring pages render, in Chinese, for the roles that may read them: the station map, the station
list and page, the sources' health, the alarm list, the rules and the rule preview, the duty screen's
alarms panel; a station registered through the form."""

from __future__ import annotations

import re

import pytest

from citywatch.monitoring.models import Rule, Station
from tests.monitoring.stations_support import small_demo  # noqa: F401
from tests.support.places import SIMING, place

pytestmark = pytest.mark.django_db


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


PAGES = [
    ("/monitoring/", "站点地图"),
    ("/monitoring/stations/", "监测站点"),
    ("/monitoring/sources/", "厦门市气象局"),
    ("/monitoring/alarms/", "告警"),
    ("/monitoring/rules/", "3小时累计雨量"),
    ("/duty/", "监测告警"),
]


@pytest.mark.parametrize("path,expected", PAGES)
def test_pages_render_in_chinese(small_demo, city_admin, path, expected):  # noqa: F811
    response = city_admin.get(path)
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert expected in text
    for english in ("Station map", "Alarms", "Data source", "Not reporting", "Normal"):
        assert english not in text, english


def test_the_station_page_and_the_rule_preview(small_demo, city_admin):  # noqa: F811
    gauge = Station.objects.filter(kind="rain_gauge").order_by("pk").first()
    html = city_admin.get(f"/monitoring/stations/{gauge.pk}/").content.decode()
    assert gauge.name in html and 'id="station-chart"' in html and "3小时累计雨量" in html
    assert 'id="station-thresholds"' in html and "echarts.min.js" in html
    rule = Rule.objects.get(name__startswith="3小时累计雨量")
    page = city_admin.get(f"/monitoring/rules/{rule.pk}/")
    assert page.status_code == 200 and "用最近 7 天数据试算" in page.content.decode()
    # Preview the rule with a threshold low enough to fire on the demo's day of history: nothing saved.
    form = {"name": rule.name, "variable": "rain", "kind": "window", "op": ">=", "window_minutes": "180",
            "aggregate": "sum", "direction": "rise", "blue": "0.1", "yellow": "", "orange": "", "red": "",
            "margin": "0", "hold_minutes": "0", "target": "kind", "station_kind": "rain_gauge",
            "enabled": "1", "preview": "1"}  # fmt: skip
    response = city_admin.post(f"/monitoring/rules/{rule.pk}/", form)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="rule-preview-result"' in html and "监测 20 个站点" in html
    rule.refresh_from_db()
    assert rule.blue == 20.0  # the preview saved nothing
    # Levels in the wrong order: refused, nothing saved.
    response = city_admin.post(f"/monitoring/rules/{rule.pk}/", {**form, "yellow": "0.05", "preview": ""})
    assert response.status_code == 422
    # The rule list's "test on the last 7 days": the saved rule as it is, its form read-only.
    page = city_admin.get(f"/monitoring/rules/{rule.pk}/preview/")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="rule-preview-result"' in html and "<fieldset disabled>" in html


def test_register_a_station_through_the_form(small_demo, siming):  # noqa: F811
    lon, lat = place(SIMING)
    form = {"source": "qx-rain", "external_id": "FORM-1", "name": "表单雨量站", "kind": "rain_gauge",
            "lon": str(lon), "lat": str(lat), "area_code": "", "crs": "wgs84", "notes": ""}  # fmt: skip
    response = siming.post("/monitoring/stations/new/", form)
    assert response.status_code == 302, visible_text(response.content.decode())[:2000]
    station = Station.objects.get(external_id="FORM-1")
    assert station.area.path.split(".")[1] == SIMING
    assert siming.get(response["Location"]).status_code == 200


def test_a_district_officer_sees_only_their_stations(small_demo, huli):  # noqa: F811
    siming_station = Station.objects.filter(area__path__contains=f".{SIMING}.").first()
    assert huli.get(f"/monitoring/stations/{siming_station.pk}/").status_code == 404
    html = huli.get("/monitoring/stations/?kind=rain_gauge").content.decode()
    assert siming_station.name not in html


def test_stations_and_alarms_are_filtered_by_the_area_name(small_demo, city_admin):  # noqa: F811
    """A duty officer types 思明区 (as on the incident and resource lists), not its code 350203."""
    siming_station = Station.objects.filter(area__path__contains=f".{SIMING}.").first()
    other = Station.objects.exclude(area__path__contains=f".{SIMING}.").first()
    html = visible_text(city_admin.get("/monitoring/stations/?area=思明区").content.decode())
    assert siming_station.name in html and other.name not in html
    assert "区划（名称或代码）" in html and "区划代码" not in html
    api = city_admin.get("/api/v1/monitoring/stations/?area=思明").json()
    ids = {s["id"] for s in api["items"]}
    assert siming_station.pk in ids and other.pk not in ids, api
    html = visible_text(city_admin.get("/monitoring/alarms/?area=思明区&state=all").content.decode())
    assert "区划（名称或代码）" in html and "区划代码" not in html
    # A name that matches no area is a warning on the page, not a 500.
    assert city_admin.get("/monitoring/alarms/?area=火星区").status_code == 200
    assert city_admin.get("/monitoring/stations/?area=火星区").status_code == 200


def test_the_alarm_list_shows_the_worst_first_and_says_what_is_awaited(city_admin):
    """On a typhoon night the duty officer reads the orange gust alarm above the newer blue rain sums, and
    an open alarm reads 待确认 (awaiting acknowledgement), not 开放 (a shelter's "open")."""
    from tests.support.monitoring import alarm_in

    alarm_in(level="blue")
    alarm_in(level="orange")
    alarm_in(level="blue")  # the newest
    alarm_in(level="yellow", state="acknowledged")
    html = city_admin.get("/monitoring/alarms/").content.decode()
    levels = re.findall(r'<tr data-id="\d+" data-state="\w+" data-level="(\w+)"', html)
    assert levels == ["orange", "yellow", "blue", "blue"], levels
    text = visible_text(html)
    assert "待确认" in text and "开放" not in text


def test_the_duty_panel_lists_the_alarms_awaiting_acknowledgement_first(city_admin):
    """An acknowledged red alarm has had its look: the open ones, worst first, come before it on the duty
    screen, so a dozen acknowledged alarms never push a new one out of the panel."""
    from tests.support.monitoring import alarm_in

    alarm_in(level="red", state="acknowledged")
    alarm_in(level="blue")
    alarm_in(level="orange")
    html = city_admin.get("/duty/").content.decode()
    panel = html[html.index('id="duty-alarms"') :]
    rows = re.findall(r'<li class="level-\w+" data-id="\d+" data-state="(\w+)" data-level="(\w+)"', panel)
    assert rows == [("open", "orange"), ("open", "blue"), ("acknowledged", "red")], rows


def test_the_duty_panel_shows_an_alarms_peak_beside_its_latest_value(city_admin):
    """An orange gust alarm whose latest reading fell back (7.3 m/s) says what raised it (峰值 25.5)."""
    from citywatch.monitoring.models import Alarm
    from tests.support.monitoring import alarm_in

    alarm = alarm_in(level="orange")
    Alarm.objects.filter(pk=alarm.pk).update(value=7.3, peak_value=25.5)
    text = visible_text(city_admin.get("/duty/").content.decode())
    assert "7.3 mm" in text and "峰值 25.5 mm" in text, text
