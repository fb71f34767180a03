"""The duty officer's warnings page in a real browser: the areas in force filled in their signal colours
on the map, and a warning issued meanwhile appearing over the event stream without a reload."""

import datetime
import time

import pytest
from django.utils import timezone

from tests.support.browser import api_client, login
from tests.support.places import SIMING, TONGAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def issue(code, level):
    commander = api_client("commander")
    now = timezone.now()
    r = commander.post(
        "/api/v1/warnings/",
        {
            "hazard": "rainstorm",
            "level": level,
            "area_codes": [code],
            "onset": now.isoformat(),
            "expires": (now + datetime.timedelta(hours=6)).isoformat(),
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    r = commander.post(
        f"/api/v1/warnings/{r.json()['id']}/transitions", {"action": "issue"}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    return r.json()


def test_map_in_signal_colours_and_live(page, demo_live_server, settings):
    settings.CITYWATCH_EVENTS_POLL_SECONDS = 0.2
    base = demo_live_server.url
    first = issue(TONGAN, "orange")
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, base, "duty_officer")
    page.wait_for_load_state()
    page.goto(f"{base}/warnings/")
    page.wait_for_selector("#warnings-map[data-warnings=loaded]", state="attached", timeout=30_000)
    assert first["headline"] in page.inner_text("#warning-table")
    layer = page.evaluate(
        "() => window.citywatchWarningsLayer.features.map((f) => [f.id, f.properties.colour])"
    )
    assert layer == [[first["id"], "#f07c00"]]
    page.wait_for_selector("body[data-live=open]", state="attached", timeout=15_000)
    second = issue(SIMING, "red")
    page.wait_for_function("() => window.citywatchWarningsLayer.features.length === 2", timeout=20_000)
    colours = page.evaluate("() => window.citywatchWarningsLayer.features.map((f) => f.properties.colour)")
    assert sorted(colours) == ["#d7191c", "#f07c00"] and second["id"]
    assert not errors, errors
    page.goto("about:blank")
    time.sleep(1.0)
