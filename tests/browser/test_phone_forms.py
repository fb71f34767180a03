"""Forms and the one-map's tabs on a phone (390×844): every form's label above its field, the fields the
screen's width and the window never wider (a select's longest option or a date-time input widened it to
420-430px, a 12rem label column squeezed the fields); the one-map's seven tabs all in sight (one scrolling
row hid 日志 past the edge with nothing to say so), its map credits in Chinese."""

import os

import pytest

from tests.support.browser import api_client, close_streams, login, open_onemap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
J = "application/json"

# Each form row's label and its field: where they lie.
ROWS = """sel => [...document.querySelectorAll(sel)].map(row => {
    const label = row.querySelector(':scope > label');
    const field = row.querySelector(
        ':scope > input:not([type=checkbox]), :scope > select, :scope > textarea');
    if (!label || !field || !field.offsetParent) return null;
    const l = label.getBoundingClientRect(), f = field.getBoundingClientRect();
    return {name: field.name, above: l.bottom <= f.top + 1, right: f.right};
}).filter(Boolean)"""
WIDE = "() => document.documentElement.scrollWidth"


def _check(page, path):
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    assert page.evaluate(WIDE) <= 390, (path, page.evaluate(WIDE))
    rows = page.evaluate(ROWS, ".recordform .row")
    assert rows, path
    assert all(r["above"] and r["right"] <= 390 for r in rows), (path, rows)


def test_forms_stack_and_fit_a_phone(page, demo_live_server):
    base = demo_live_server.url
    page.set_viewport_size(PHONE)
    login(page, base, "city_admin")
    for path in (
        "/incidents/new/",
        "/resources/rescue-teams/new/",
        "/resources/shelters/new/",
        "/monitoring/stations/new/",
        "/notify/subscriptions/new/",
        "/duty/",
    ):
        page.goto(f"{base}{path}")
        _check(page, path)
    os.makedirs("var/screenshots", exist_ok=True)
    page.goto(f"{base}/notify/subscriptions/new/")
    page.screenshot(path="var/screenshots/subscription-form-phone.png", full_page=True)


def test_the_leaders_report_forms_fit_a_phone(browser, demo_live_server, scene):
    incident_id = scene["incident"]["id"]
    r = scene["duty"].post(
        f"/api/v1/incidents/{incident_id}/dispatches", {"team": scene["near"]["id"]}, content_type=J
    )
    assert r.status_code == 201, r.content
    move = f"/api/v1/incidents/{incident_id}/dispatches/{r.json()['id']}/transitions"
    leader = api_client("team_leader")
    for step in ("accept", "depart", "arrive"):
        assert leader.post(move, {"action": step}, content_type=J).status_code == 200
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        login(page, demo_live_server.url, "team_leader")
        page.wait_for_selector("li.order[data-status=on_scene] form.field-report textarea", timeout=15_000)
        assert page.evaluate(WIDE) <= 390
        fields = page.eval_on_selector_all(
            "li.order form input, li.order form textarea, li.order form button",
            "els => els.filter((e) => e.offsetParent).map((e) => e.getBoundingClientRect().right)",
        )
        assert fields and max(fields) <= 390, fields
        close_streams(page)
    finally:
        context.close()


def test_the_onemap_tabs_are_all_in_sight_on_a_phone(browser, demo_live_server, scene):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_onemap(page, demo_live_server.url, "duty_officer", scene["incident"]["id"])
        tabs = page.eval_on_selector_all(
            "#panel-tabs [role=tab]",
            "els => els.map((e) => { const r = e.getBoundingClientRect(); "
            "return {text: e.textContent.trim(), left: r.left, right: r.right, "
            "clipped: e.scrollWidth > e.clientWidth + 1}; })",
        )
        assert len(tabs) == 7 and all(
            t["left"] >= 0 and t["right"] <= 390 and not t["clipped"] for t in tabs
        ), tabs
        assert page.evaluate(
            "() => { const t = document.getElementById('panel-tabs'); "
            "return t.scrollWidth <= t.clientWidth + 1; }"
        )
        assert page.evaluate(WIDE) <= 390
        page.click('#panel-tabs [role=tab][data-tab="log"]')
        page.wait_for_selector("#panel-log:not([hidden])", timeout=5_000)
        # The map's credits in the page's language: MapLibre's own too.
        credits = page.eval_on_selector(".maplibregl-ctrl-attrib-inner", "e => e.textContent")
        assert "地图引擎：MapLibre" in credits, credits
        os.makedirs("var/screenshots", exist_ok=True)
        page.screenshot(path="var/screenshots/onemap-tabs-phone.png")
        close_streams(page)
    finally:
        context.close()
