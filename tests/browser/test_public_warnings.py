"""The public warning page in a real browser at phone size (390×844): no login, Chinese, the warning in
force for 同安区 with its signal colour and what to do, and — from the visitor's location — the nearest
open shelter with a navigation link. A screenshot is kept in var/screenshots/ for a person to look at."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from tests.support.browser import api_client, create
from tests.support.places import TONGAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
SHELTER = {"area_code": TONGAN, "lon": 118.152, "lat": 24.732}


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": 118.15, "latitude": 24.73},
        permissions=["geolocation"],
    )
    page = context.new_page()
    yield page
    context.close()


def test_public_page_on_a_phone(phone, demo_live_server, estimated):
    base = demo_live_server.url
    admin = api_client("city_admin")
    create(admin, "shelters", name="同安测试避灾点", kind="disaster_point", capacity=300, **SHELTER)
    commander = api_client("commander")
    now = timezone.now()
    r = commander.post(
        "/api/v1/warnings/",
        {
            "hazard": "rainstorm",
            "level": "orange",
            "area_codes": [TONGAN],
            "onset": now.isoformat(),
            "expires": (now + datetime.timedelta(hours=6)).isoformat(),
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = commander.post(
        f"/api/v1/warnings/{pk}/transitions", {"action": "issue"}, content_type="application/json"
    )
    assert r.status_code == 200, r.content

    errors = []
    phone.on("pageerror", lambda e: errors.append(str(e)))
    response = phone.goto(f"{base}/public/")
    assert response.status == 200 and "public" in response.headers["cache-control"]
    card = phone.locator("article.warning.level-orange")
    assert card.count() == 1
    assert "同安区暴雨橙色预警" in card.inner_text() and "防御指引" in card.inner_text()
    colour = phone.eval_on_selector(
        "article.level-orange .signal", "e => getComputedStyle(e).backgroundColor"
    )
    assert colour == "rgb(240, 124, 0)"
    # no login page, no internal navigation
    assert phone.locator("#id_username").count() == 0 and phone.locator("nav.mainnav").count() == 0

    phone.click("#locate")
    phone.wait_for_selector(".shelter h3", timeout=20_000)
    assert "lon=118.150" in phone.url and "lat=24.730" in phone.url
    shelter = phone.locator(".shelter").first
    assert "同安测试避灾点" in shelter.inner_text() and "300" in shelter.inner_text()
    assert shelter.locator("a[href^='https://uri.amap.com/navigation']").count() == 1
    assert shelter.locator("a[href^='geo:']").count() == 1
    # fits the phone: nothing wider than the screen
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SHOTS / "public-390x844.png"), full_page=True)
    assert not errors, errors
