"""A district officer logs in through the real login page and sees only their district on the map."""

import pytest

from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_siming_officer_sees_siming_not_huli(page, demo_live_server):
    base = demo_live_server.url
    login(page, base, "siming_officer")
    page.wait_for_url(f"{base}/map/")
    page.wait_for_selector("#map[data-loaded=true]", timeout=30_000)
    # The basemap names every district (public geography); what is the officer's is the side list and
    # the district layer, restricted server-side.
    assert page.locator(".area-label").count() == 0
    side = page.inner_text("#district-list")
    assert "思明区" in side and "湖里区" not in side
    # The map really drew the district: MapLibre has its features in the rendered source.
    names = page.evaluate(
        "() => window.citywatchMap.querySourceFeatures('districts').map(f => f.properties.name)"
    )
    assert set(names) == {"思明区"}
    streets = page.evaluate("() => window.citywatchLayers.streets.features.map(f => f.properties.code)")
    assert streets and all(code.startswith("350203") for code in streets)
    assert "湖里区" not in page.content()


def test_city_admin_sees_all_districts(page, demo_live_server):
    base = demo_live_server.url
    login(page, base, "city_admin")
    page.wait_for_selector("#map[data-loaded=true]", timeout=30_000)
    names = page.locator("#district-list li[data-code] a").all_inner_texts()
    assert sorted(names) == sorted(["思明区", "海沧区", "湖里区", "集美区", "同安区", "翔安区"])


def test_wrong_password_stays_on_login(page, demo_live_server):
    base = demo_live_server.url
    page.goto(f"{base}/map/")
    assert "/login/" in page.url
    page.fill("#id_username", "siming_officer")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    # The click returns before the answer is drawn: wait for the refusal itself.
    page.wait_for_selector("[role=alert]", timeout=30_000)
    assert page.locator("[role=alert]").count() == 1
    assert "/login/" in page.url
