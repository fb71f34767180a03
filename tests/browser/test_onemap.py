"""The one-map of an incident: rings, resource layers and the ranked nearby list; a dispatch ordered from
the list shows up live (Server-Sent Events) on a second officer's one-map without reloading.

Records are made through the API. The engine runs in estimated mode (no road graph) so the ranking is
the same on every machine."""

import pytest

from tests.support.browser import (
    INCIDENT,
    all_team_types,
    api_client,
    close_streams,
    login,
    open_onemap,
    open_tab,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "var/screenshots"


def test_onemap_layers_ranked_list_and_live_dispatch(browser, page, demo_live_server, scene):
    import os

    base = demo_live_server.url
    incident_id = scene["incident"]["id"]
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_onemap(page, base, "duty_officer", incident_id)

    # Rings and layers.
    page.wait_for_selector("#onemap[data-rings=loaded]", state="attached", timeout=30_000)
    assert sorted(
        page.locator(".ring-label").evaluate_all("els => els.map(e => e.dataset.minutes)"), key=int
    ) == ["5", "15", "30"]
    page.wait_for_selector(
        'input[data-layer="rescue-teams"][data-state=loaded]', state="attached", timeout=30_000
    )
    names = page.evaluate("() => window.citywatchLayers['rescue-teams'].features.map(f => f.properties.name)")
    assert {"同安近救援队", "同安远救援队"} <= set(names)  # the demo may hold teams of its own
    assert page.locator("#reach-list .reach-item").count() == 3
    assert (
        page.locator("#incident-status").inner_text() == "已核实"
        or page.locator("#incident-status").get_attribute("data-status") == "verified"
    )

    # The ranked list: fastest first (the near test team before the far one), with ETA, distance and method.
    all_team_types(page)  # social teams are not among the types a landslide calls for
    items = page.locator('#nearby-results .nearby-group[data-kind="rescue-teams"] .nearby-item')
    ranked = items.locator(".nearby-name").all_inner_texts()
    assert "同安近救援队" in ranked
    if "同安远救援队" in ranked:  # (the demo's own teams may push it out of the top ten)
        assert ranked.index("同安近救援队") < ranked.index("同安远救援队")
    etas = page.evaluate(
        "() => window.citywatchNearby.items.filter(i => i.kind === 'rescue-teams').map(i => i.eta_s)"
    )
    assert etas == sorted(etas)
    first = items.filter(has=page.locator(".dispatch-button")).first  # the first team one may dispatch
    first_name = first.locator(".nearby-name").inner_text()
    assert first.get_attribute("data-eta-method") == "estimated"
    assert "km" in first.locator(".nearby-distance").inner_text()
    assert (
        "min" in first.locator(".nearby-eta").inner_text()
        or "分钟" in first.locator(".nearby-eta").inner_text()
    )

    # The route of a listed team (travelling to the incident).
    first.locator(".nearby-pick").click()
    page.wait_for_selector("#onemap[data-route=loaded]", state="attached", timeout=30_000)
    assert page.locator("#route-info").get_attribute("data-direction") == "to"

    # A second officer on the same one-map, in another browser context.
    other_context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    other = other_context.new_page()
    try:
        open_onemap(other, base, "commander", incident_id)
        open_tab(other, "dispatch")
        assert other.locator("#dispatch-list li.dispatch").count() == 0

        # Dispatch the first team from the ranked list.
        first.locator(".dispatch-button").click()
        open_tab(page, "dispatch")
        page.wait_for_selector('#dispatch-list li.dispatch[data-status="requested"]', timeout=15_000)

        # The other page sees it arrive live (no reload), and then a status change.
        other.wait_for_selector('#dispatch-list li.dispatch[data-status="requested"]', timeout=15_000)
        assert first_name in other.locator("#dispatch-list").inner_text()
        did = int(other.locator("#dispatch-list li.dispatch").first.get_attribute("data-id"))
        r = scene["duty"].post(
            f"/api/v1/incidents/{incident_id}/dispatches/{did}/transitions",
            {"action": "accept"},
            content_type="application/json",
        )
        assert r.status_code == 200, r.content
        other.wait_for_selector(
            f'#dispatch-list li.dispatch[data-id="{did}"][data-status="accepted"]', timeout=15_000
        )
        # The log got the entries too, newest first.
        other.wait_for_function(
            "() => document.querySelectorAll('#log-list li[data-kind=dispatch]').length >= 2", timeout=15_000
        )
        open_tab(other, "log")
        assert "已下达 → 已接受" in other.locator("#log-list li").first.inner_text()
        # The dispatched team is no longer offered for dispatch.
        page.wait_for_function(
            """name => ![...document.querySelectorAll(
                '#nearby-results .nearby-item[data-status=available] .nearby-name')]
                .some(e => e.textContent === name)""",
            arg=first_name,
            timeout=15_000,
        )
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/onemap.png")
        other.screenshot(path=f"{SHOTS}/onemap-commander.png")
    finally:
        close_streams(other)
        other_context.close()
        close_streams(page)
    assert not errors, errors


def test_incident_list_shows_new_incident_live(page, demo_live_server, estimated):
    base = demo_live_server.url
    login(page, base, "commander")
    page.wait_for_load_state()
    page.goto(f"{base}/incidents/")
    page.wait_for_selector("body[data-live=open]", state="attached", timeout=15_000)
    r = api_client("duty_officer").post(
        "/api/v1/incidents/",
        {
            "title": "实时出现的事件",
            "category": "natural_disaster",
            "type": "landslide",
            "lon": INCIDENT[0],
            "lat": INCIDENT[1],
            "exercise": True,
        },
        content_type="application/json",
    )
    assert r.status_code == 201
    row = page.wait_for_selector(f'#incident-rows tr[data-id="{r.json()["id"]}"]', timeout=15_000)
    assert "实时出现的事件" in row.inner_text() and "演练" in row.inner_text()
    close_streams(page)


def test_team_leader_answers_from_phone_page(browser, demo_live_server, scene):
    base = demo_live_server.url
    incident_id = scene["incident"]["id"]
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 760})
    phone = context.new_page()
    try:
        login(phone, base, "team_leader")
        phone.wait_for_load_state()
        phone.goto(f"{base}/m/dispatches/")
        phone.wait_for_selector("body[data-live=open]", state="attached", timeout=15_000)
        r = scene["duty"].post(
            f"/api/v1/incidents/{incident_id}/dispatches",
            {"team": scene["near"]["id"], "assigned_to": "team_leader"},
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
        did = r.json()["id"]
        order = f'#phone-orders li.order[data-id="{did}"]'
        phone.wait_for_selector(order + '[data-status="requested"]', timeout=15_000)
        phone.click(order + " button.action-accept")
        phone.wait_for_selector(order + '[data-status="accepted"]', timeout=15_000)
        phone.click(order + " button.action-depart")
        phone.wait_for_selector(order + '[data-status="en_route"]', timeout=15_000)
        import os

        os.makedirs(SHOTS, exist_ok=True)
        phone.screenshot(path=f"{SHOTS}/orders-phone.png")
        close_streams(phone)
    finally:
        context.close()


def test_dispatch_from_the_one_map_reaches_the_chosen_team_leader(browser, page, demo_live_server, scene):
    """The duty officer picks the team leader on the one-map and dispatches; the order is on that team
    leader's phone page."""
    base = demo_live_server.url
    incident_id = scene["incident"]["id"]
    open_onemap(page, base, "duty_officer", incident_id)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 760})
    phone = context.new_page()
    try:
        page.select_option("#dispatch-assignee", "team_leader")
        all_team_types(page)
        items = page.locator("#nearby-results li")
        items.filter(has=page.locator(".dispatch-button")).first.locator(".dispatch-button").click()
        open_tab(page, "dispatch")
        page.wait_for_selector('#dispatch-list li.dispatch[data-status="requested"]', timeout=15_000)
        login(phone, base, "team_leader")
        phone.wait_for_load_state()
        phone.goto(f"{base}/m/dispatches/")
        phone.wait_for_selector('#phone-orders li.order[data-status="requested"]', timeout=15_000)
    finally:
        close_streams(phone)
        context.close()
        close_streams(page)
