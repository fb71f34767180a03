"""Warnings live in a real browser, without a reload: on the incident one-map the warnings layer fills an
area when a warning is issued, recolours it when the warning is upgraded and empties it when the warning
is lifted, its legend naming the warning meanwhile; on the duty screen the warnings panel shows a
proposal as soon as a gauge's batch is ingested, then the warning issued from it in force, then nothing
in force once lifted."""

import datetime
import importlib
from pathlib import Path

import pytest
from django.utils import timezone

from tests.support.browser import api_client, close_streams, login, open_onemap
from tests.support.places import TONGAN, place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

COLOURS = "() => (window.citywatchWarningsLayer || {features: []}).features.map((f) => f.properties.colour)"


def fields(level):
    now = timezone.now()
    return {
        "hazard": "rainstorm",
        "level": level,
        "area_codes": [TONGAN],
        "onset": now.isoformat(),
        "expires": (now + datetime.timedelta(hours=6)).isoformat(),
    }


def step(client, url, body):
    r = client.post(url, body, content_type="application/json")
    assert r.status_code in (200, 201), r.content
    return r.json()


def test_the_onemap_layer_follows_issue_upgrade_and_lift(page, demo_live_server, scene, settings):
    settings.CITYWATCH_EVENTS_POLL_SECONDS = 0.2
    base = demo_live_server.url
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_onemap(page, base, "duty_officer", scene["incident"]["id"])
    page.wait_for_selector("#onemap[data-warnings=loaded]", state="attached", timeout=30_000)
    page.wait_for_selector("#onemap[data-warnings-live=open]", state="attached", timeout=15_000)
    assert page.evaluate(COLOURS) == []

    commander = api_client("commander")
    warning = step(commander, "/api/v1/warnings/", fields("orange"))
    warning = step(commander, f"/api/v1/warnings/{warning['id']}/transitions", {"action": "issue"})
    page.wait_for_function(f"() => ({COLOURS})().join() === '#f07c00'", timeout=20_000)

    step(commander, f"/api/v1/warnings/{warning['id']}/updates", fields("red"))
    page.wait_for_function(f"() => ({COLOURS})().join() === '#d7191c'", timeout=20_000)
    page.wait_for_function("() => document.querySelector('.warnings-legend').textContent.includes('红色')")
    assert page.locator(".warnings-legend a").get_attribute("href") == f"/warnings/{warning['id']}/"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "onemap-warning-live.png"))

    step(commander, f"/api/v1/warnings/{warning['id']}/transitions", {"action": "lift"})
    page.wait_for_function(f"() => ({COLOURS})().length === 0", timeout=20_000)
    page.wait_for_selector(".warnings-legend", state="hidden")
    assert not errors, errors
    close_streams(page)


def test_the_duty_panel_shows_a_proposal_at_once_then_the_warning(page, demo_live_server, settings):
    from django.apps import apps
    from django.contrib.gis.geos import Point

    from citywatch.core.models import AdminArea
    from citywatch.monitoring.actions.ingest import ingest_records
    from citywatch.monitoring.models import DataSource, Station

    settings.CITYWATCH_EVENTS_POLL_SECONDS = 0.2
    # a transactional test starts from an emptied database: the variable catalogue (a migration's data) too
    importlib.import_module("citywatch.monitoring.migrations.0002_variables").seed(apps, None)
    source = DataSource.objects.create(
        code="test-rain", name="测试雨量", department="测试", area=AdminArea.objects.get(code="350200")
    )
    lon, lat = place(TONGAN)
    Station.objects.create(
        source=source,
        external_id="T1",
        name="测试雨量站",
        kind="rain_gauge",
        location=Point(lon, lat),
        area=AdminArea.objects.get(code=TONGAN),
    )
    base = demo_live_server.url
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": 1920, "height": 1080})
    login(page, base, "commander")
    page.wait_for_load_state()
    page.goto(f"{base}/duty/")
    panel = "#panel-warnings-overview"
    page.wait_for_selector(panel, state="attached")
    page.wait_for_selector("body[data-live=open]", state="attached", timeout=15_000)
    assert page.locator(f"{panel} .proposals li").count() == 0

    # ten hours of 6 mm ending now: 60 mm in 12 h, a blue rainstorm proposal for 同安区
    now = timezone.now().replace(microsecond=0)
    records = [
        {"source": "test-rain", "station": "T1", "variable": "rain",
         "time": (now - datetime.timedelta(hours=k)).isoformat(), "value": 6.0}
        for k in range(10)
    ]  # fmt: skip
    assert not ingest_records(records).rejected
    item = page.wait_for_selector(f"{panel} .proposals li.level-blue", timeout=20_000)
    assert "同安区" in item.inner_text() and "60" in item.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "duty-warning-proposal.png"))

    page.locator(f"{panel} .proposals li.level-blue form[action$='/draft/'] button").click()  # 起草此预警
    page.wait_for_url(f"{base}/warnings/**")
    warning_id = int(page.url.rstrip("/").split("/")[-1])
    commander = api_client("commander")
    step(commander, f"/api/v1/warnings/{warning_id}/transitions", {"action": "issue"})
    page.goto(f"{base}/duty/")
    page.wait_for_selector("body[data-live=open]", state="attached", timeout=15_000)
    page.wait_for_selector(f"{panel} a[href$='/warnings/{warning_id}/']", timeout=20_000)
    assert page.locator(f"{panel} .proposals li").count() == 0  # issued at its level: no longer proposed

    step(commander, f"/api/v1/warnings/{warning_id}/transitions", {"action": "lift"})
    page.wait_for_selector(f"{panel} li.empty", timeout=20_000)
    assert not errors, errors
    close_streams(page)
