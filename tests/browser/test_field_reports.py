"""A team leader on scene reports from the phone (390×844) and says the task is done; the duty officer's
one-map (1920×1080) shows the field report and the completed order live, highlighted, and releases the
team with one press."""

import os

import pytest

from tests.support.browser import api_client, close_streams, login, open_tab

SHOTS = "var/screenshots"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1920, "height": 1080}
J = "application/json"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_leader_reports_and_completes_and_the_one_map_sees_both(browser, demo_live_server, scene):
    base = demo_live_server.url
    incident_id = scene["incident"]["id"]
    r = scene["duty"].post(
        f"/api/v1/incidents/{incident_id}/dispatches", {"team": scene["near"]["id"]}, content_type=J
    )
    assert r.status_code == 201, r.content
    did = r.json()["id"]
    leader = api_client("team_leader")
    move = f"/api/v1/incidents/{incident_id}/dispatches/{did}/transitions"
    for step in ("accept", "depart", "arrive"):
        assert leader.post(move, {"action": step}, content_type=J).status_code == 200

    desk_context = browser.new_context(locale="zh-CN", viewport=DESK)
    desk = desk_context.new_page()
    phone_context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    phone = phone_context.new_page()
    try:
        login(desk, base, "duty_officer")
        desk.goto(f"{base}/incidents/{incident_id}/")
        desk.wait_for_selector("body[data-live=open]", state="attached", timeout=30_000)
        open_tab(desk, "dispatch")
        row = f'#dispatch-list li.dispatch[data-id="{did}"]'
        desk.wait_for_selector(row + '[data-status="on_scene"]', timeout=15_000)

        login(phone, base, "team_leader")
        phone.wait_for_url(f"{base}/m/dispatches/")
        phone.wait_for_selector("body[data-live=open]", state="attached", timeout=15_000)
        card = phone.locator(f'#phone-orders li.order[data-id="{did}"][data-status="on_scene"]')
        card.wait_for(timeout=15_000)
        # Nothing but the forms to press on scene: the leader does not release.
        assert card.locator(".order-actions button").count() == 0
        form = card.locator("form.field-report")
        # An empty report is refused on the page, nothing sent.
        form.locator("button.send-report").click()
        phone.wait_for_selector("#order-message:not([hidden])")
        assert "报告内容" in phone.locator("#order-message").inner_text()
        form.locator("textarea[name=text]").fill("二楼两人已救出，仍在搜索")
        form.locator("input[name=rescued]").fill("2")
        form.locator("input[name=evacuated]").fill("15")
        form.locator("button.send-report").click()
        card.locator(".order-report", has_text="二楼两人已救出").wait_for(timeout=15_000)
        assert "15" in card.locator(".order-report").inner_text()
        box = form.locator("button.send-report").bounding_box()
        assert box and box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 40
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        os.makedirs(SHOTS, exist_ok=True)
        phone.screenshot(path=f"{SHOTS}/phone-field-report.png", full_page=True)

        # Live on the one-map: the report on the order's line and in the log, with the team's name.
        desk.locator(row + " .dispatch-report", has_text="二楼两人已救出").wait_for(timeout=15_000)
        log = desk.locator('#log-list li[data-action="field_report"]', has_text="二楼两人已救出")
        log.wait_for(state="attached", timeout=15_000)
        assert scene["near"]["name"] in log.inner_text() and "疏散 15 人" in log.inner_text()

        # Task complete, with a closing note.
        done = card.locator("form.complete-task")
        done.locator("input[name=note]").fill("被困人员全部救出，现场移交社区")
        done.locator("button.complete-button").click()
        mine = f'#phone-orders li.order[data-id="{did}"]'
        phone.wait_for_selector(mine + '[data-status="completed"] .order-completed', timeout=15_000)
        completed = phone.locator(mine)
        assert "已完成待确认" in completed.locator(".dispatch-status").inner_text()
        assert completed.locator("form.complete-task").is_hidden()
        phone.screenshot(path=f"{SHOTS}/phone-task-complete.png", full_page=True)

        desk.wait_for_selector(row + '[data-status="completed"]', timeout=15_000)
        line = desk.locator(row)
        assert "已完成待确认" in line.locator(".dispatch-status").inner_text()
        assert "被困人员全部救出" in line.locator(".dispatch-completion").inner_text()
        # Highlighted: the completed order stands out from the others.
        assert line.evaluate("(li) => getComputedStyle(li).backgroundColor") != "rgba(0, 0, 0, 0)"
        desk.screenshot(path=f"{SHOTS}/onemap-task-complete.png")
        # One press releases the team.
        line.locator("button.release").click()
        desk.wait_for_selector(row + '[data-status="released"]', timeout=15_000)
        phone.wait_for_selector(mine + '[data-status="released"]', timeout=15_000)
    finally:
        close_streams(phone)
        phone_context.close()
        close_streams(desk)
        desk_context.close()
