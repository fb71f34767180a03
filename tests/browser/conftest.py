"""Playwright for Python driving Debian's chromium (``playwright install`` cannot download browsers here)."""

import os
import shutil

import pytest

from tests.support.browser import FAR, INCIDENT, NEAR, api_client, create, restore_base
from tests.support.places import TONGAN

CHROMIUM = os.environ.get("CITYWATCH_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-gl=swiftshader",
    "--enable-unsafe-swiftshader",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"chromium not found at {CHROMIUM}: run `make test`, which installs it")
    # Playwright's sync API runs an event loop; Django must allow sync DB access from the test thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def demo_live_server(live_server, django_db_blocker):
    """The live server with the demo city's areas and people (a transactional test starts from an emptied
    database). Browser tests create the resources they look at, so they need not wait for the full demo."""
    with django_db_blocker.unblock():
        restore_base()
    return live_server


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def estimated(monkeypatch):
    from citywatch.geo import routing

    monkeypatch.setattr(routing, "current_graph", lambda: None)


@pytest.fixture
def scene(demo_live_server, estimated):
    duty = api_client("duty_officer")
    r = duty.post(
        "/api/v1/incidents/",
        {
            "title": "同安山体滑坡（测试）",
            "category": "natural_disaster",
            "type": "landslide",
            "lon": INCIDENT[0],
            "lat": INCIDENT[1],
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    incident = r.json()
    assert incident["area"]["code"].startswith(TONGAN), incident["area"]
    r = duty.post(
        f"/api/v1/incidents/{incident['id']}/transitions",
        {"action": "verify", "version": incident["version"]},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "verified", r.content
    admin = api_client("city_admin")
    near = create(
        admin,
        "rescue-teams",
        name="同安近救援队",
        kind="social",
        members=20,
        leader="team_leader",  # orders go to the team's leader on record
        lon=NEAR[0],
        lat=NEAR[1],
        area_code=TONGAN,
    )
    far = create(
        admin,
        "rescue-teams",
        name="同安远救援队",
        kind="social",
        members=12,
        leader="team_leader",
        lon=FAR[0],
        lat=FAR[1],
        area_code=TONGAN,
    )
    return {"incident": incident, "near": near, "far": far, "duty": duty}
