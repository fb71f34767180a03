"""The team leader's phone (390×844) and the one-map's order controls, in a real browser (issue 11, items
1 and 9): the order card carries what a leader acts on (number, time, severity, what happened, people
trapped, the caller's contact) and navigation links in the systems the map apps expect; the top bar is
compact and offers only pages the leader may open; a dispatch is confirmed with its number, and a recall
from the one-map (with a reason) reaches the phone at once."""

import os
import re

import pytest

from citywatch.geo import crs
from tests.support.browser import INCIDENT, all_team_types, close_streams, login, open_onemap, open_tab

SHOTS = "var/screenshots"
PHONE = {"width": 390, "height": 844}
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _describe(scene):
    r = scene["duty"].patch(
        f"/api/v1/incidents/{scene['incident']['id']}",
        {
            "description": "山体滑坡冲毁民房两间，道路中断。",
            "people_trapped": 3,
            "caller_name": "林先生",
            "caller_phone": "13800138000",
            "severity": "2",
            "version": scene["incident"]["version"] + 1,
        },
        content_type="application/json",
    )
    assert r.status_code == 200, r.content


def _phone(browser, base):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    phone = context.new_page()
    login(phone, base, "team_leader")
    phone.wait_for_url(f"{base}/m/dispatches/")  # a team leader lands on their orders
    phone.wait_for_selector("body[data-live=open]", state="attached", timeout=15_000)
    return context, phone


def test_the_phone_card_tells_a_leader_what_to_do_and_where(browser, demo_live_server, scene):
    base = demo_live_server.url
    _describe(scene)
    incident_id = scene["incident"]["id"]
    r = scene["duty"].post(
        f"/api/v1/incidents/{incident_id}/dispatches",
        {"team": scene["near"]["id"]},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    order = r.json()
    assert order["assigned_to"] == "team_leader"  # the team's leader on record
    context, phone = _phone(browser, base)
    try:
        card = phone.locator(f'#phone-orders li.order[data-id="{order["id"]}"]')
        card.wait_for(timeout=15_000)
        assert card.locator(".order-number").inner_text() == order["number"]
        assert re.fullmatch(r"\d\d-\d\d \d\d:\d\d", card.locator(".order-time").inner_text())
        assert "Ⅱ" in card.locator(".severity").inner_text()
        assert "山体滑坡冲毁民房两间" in card.locator(".order-description").inner_text()
        assert card.locator(".order-trapped").inner_text() == "3"
        assert "林先生" in card.locator(".order-caller").inner_text()
        assert card.locator("a.order-call").get_attribute("href") == "tel:13800138000"
        # Navigation: GCJ-02 for Amap, BD-09 for Baidu, WGS-84 for geo:.
        lon, lat = INCIDENT
        glon, glat = (float(v) for v in crs.from_wgs84(lon, lat, "gcj02"))
        blon, blat = (float(v) for v in crs.from_wgs84(lon, lat, "bd09"))
        assert f"to={glon:.6f},{glat:.6f}," in card.locator("a.nav-amap").get_attribute("href")
        assert f"latlng:{blat:.6f},{blon:.6f}" in card.locator("a.nav-baidu").get_attribute("href")
        assert card.locator("a.nav-geo").get_attribute("href").startswith(f"geo:{lat:.6f},{lon:.6f}")
        for link in ("a.nav-amap", "a.nav-baidu", "a.nav-geo", "button.action-accept"):
            box = card.locator(link).bounding_box()
            assert (
                box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 40
            ), link
        # A compact top bar, nothing wider than the phone, and no link the leader may not open.
        bar = phone.locator("header.topbar").bounding_box()
        assert bar["height"] <= 80, bar
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        hrefs = phone.locator("nav.mainnav a").evaluate_all(
            "(links) => links.map((a) => a.getAttribute('href'))"
        )
        for href in hrefs:
            assert phone.request.get(f"{base}{href}").status == 200, href
        os.makedirs(SHOTS, exist_ok=True)
        phone.screenshot(path=f"{SHOTS}/phone-order-card.png", full_page=True)
        card.locator("button.action-accept").click()
        phone.wait_for_selector(f'#phone-orders li.order[data-id="{order["id"]}"][data-status="accepted"]')
    finally:
        close_streams(phone)
        context.close()


def test_a_dispatch_is_confirmed_and_a_recall_reaches_the_phone(browser, page, demo_live_server, scene):
    base = demo_live_server.url
    incident_id = scene["incident"]["id"]
    context, phone = _phone(browser, base)
    open_onemap(page, base, "duty_officer", incident_id)
    try:
        # The assignee defaults to the team's leader on record.
        assert page.locator("#dispatch-assignee").input_value() == ""
        all_team_types(page)
        button = page.locator("#nearby-results li .dispatch-button").first
        button.click()
        page.wait_for_selector("#dispatch-confirmation:not([hidden])", timeout=15_000)
        confirmation = page.locator("#dispatch-confirmation").inner_text()
        number = re.search(r"DP\d{6}", confirmation).group(0)
        assert "救援队 队长" in confirmation  # who received it, by name
        open_tab(page, "dispatch")
        row = page.locator("#dispatch-list li.dispatch", has_text=number)
        row.wait_for(timeout=15_000)
        did = row.get_attribute("data-id")
        card = f'#phone-orders li.order[data-id="{did}"]'
        phone.wait_for_selector(card + '[data-status="requested"]', timeout=15_000)
        page.once("dialog", lambda dialog: dialog.accept("附近队伍已到场"))
        row.locator("button.recall").click()
        page.wait_for_selector(
            f'#dispatch-list li.dispatch[data-id="{did}"][data-status="recalled"]', timeout=15_000
        )
        assert "附近队伍已到场" in page.locator(f'#dispatch-list li.dispatch[data-id="{did}"]').inner_text()
        phone.wait_for_selector(card + '[data-status="recalled"]', timeout=15_000)
        assert "附近队伍已到场" in phone.locator(card + " .order-recalled").inner_text()
        assert phone.locator(card + " .order-actions button").count() == 0
        os.makedirs(SHOTS, exist_ok=True)
        phone.screenshot(path=f"{SHOTS}/phone-recalled.png", full_page=True)
        page.screenshot(path=f"{SHOTS}/onemap-recalled.png")
    finally:
        close_streams(phone)
        context.close()
        close_streams(page)
