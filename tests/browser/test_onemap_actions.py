"""The one-map's operations panel, all through the UI: a supply request (request, approve, ship: the depot's
stock goes down), the forward command post (minutes from verification) and situation report No. 1 (generate,
issue, download the PDF). Records the page looks at are made through the API."""

import re

import pytest

from tests.support.browser import INCIDENT, api_client, close_streams, create, open_onemap, open_tab
from tests.support.places import TONGAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEPOT_AT = (118.152, 24.732)
ITEM = "LJ-T"


def balance(client, depot_id):
    r = client.get(f"/api/v1/resources/stock-movements/?depot={depot_id}&item={ITEM}&limit=1000")
    assert r.status_code == 200, r.content
    items = r.json()["items"]
    return float(max(items, key=lambda m: m["id"])["balance_after"])


@pytest.fixture
def stocked(demo_live_server, estimated):  # noqa: F811
    duty = api_client("duty_officer")
    r = duty.post(
        "/api/v1/incidents/",
        {
            "title": "同安山体滑坡（物资测试）",
            "category": "natural_disaster",
            "type": "landslide",
            "lon": INCIDENT[0],
            "lat": INCIDENT[1],
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    incident = r.json()
    assert incident["area"]["code"].startswith(TONGAN)
    r = duty.post(
        f"/api/v1/incidents/{incident['id']}/transitions",
        {"action": "verify", "version": incident["version"]},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "verified", r.content
    admin = api_client("city_admin")
    items = admin.get("/api/v1/resources/supply-items/?limit=1000").json()["items"]
    if not any(i["code"] == ITEM for i in items):
        r = admin.post(
            "/api/v1/resources/supply-items/",
            {"code": ITEM, "name": "救生衣（测试）", "category": "flood", "unit": "件"},
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
    depot = create(
        admin,
        "depots",
        name="同安测试物资仓库",
        kind="district",
        lon=DEPOT_AT[0],
        lat=DEPOT_AT[1],
        area_code=TONGAN,
    )
    r = admin.post(
        "/api/v1/resources/stock-movements/",
        {"depot": depot["id"], "item": ITEM, "kind": "receipt", "quantity": "300"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert balance(admin, depot["id"]) == 300
    return {"incident": incident, "depot": depot, "admin": admin}


def test_supplies_command_post_and_sitrep_through_the_ui(page, demo_live_server, stocked):
    base = demo_live_server.url
    incident_id = stocked["incident"]["id"]
    depot_id = str(stocked["depot"]["id"])
    errors, failed = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: r.status >= 400 and failed.append((r.status, r.url)))
    open_onemap(page, base, "duty_officer", incident_id)
    try:
        # Without a command post the page does not ask for one (no 404 in the console).
        assert page.locator('#post-info[data-state="none"]').count() == 1
        assert not failed, failed
        open_tab(page, "supplies")
        # Supplies: the item from the catalogue, then the depots that can give it, with how much.
        page.wait_for_selector(f'#supply-item option[value="{ITEM}"]', state="attached", timeout=15_000)
        page.select_option("#supply-item", ITEM)
        option = f'#supply-depot option[value="{depot_id}"]'
        page.wait_for_selector(option, state="attached", timeout=15_000)
        assert page.locator(option).get_attribute("data-available") == "300.000"
        assert "300" in page.locator(option).inner_text()
        # More than any depot can give: no depot is offered (the API refuses it too: test_supply.py).
        page.fill("#supply-quantity", "301")
        page.wait_for_selector(option, state="detached", timeout=15_000)
        assert page.locator('#supply-depot option[value=""]').count() == 1
        page.fill("#supply-quantity", "200")
        page.wait_for_selector(option, state="attached", timeout=15_000)
        page.select_option("#supply-depot", depot_id)
        page.click("#supply-request")
        row = "#supply-list li.supply-request"
        page.wait_for_selector(row + '[data-status="requested"]', timeout=15_000)
        assert "200" in page.locator(row).first.inner_text()
        page.click(row + " button.action-approve")
        page.wait_for_selector(row + '[data-status="approved"]', timeout=15_000)
        page.click(row + " button.action-ship")
        page.wait_for_selector(row + '[data-status="shipped"]', timeout=15_000)
        assert page.locator(row + " button.action-receive").count() == 1
        assert balance(stocked["admin"], stocked["depot"]["id"]) == 100
        page.wait_for_selector(option + '[data-available="100.000"]', state="attached", timeout=15_000)

        # The forward command post, at the incident by default, led by the current user.
        open_tab(page, "post")
        assert page.input_value("#post-leader") == "duty_officer"
        page.fill("#post-communications", "对讲机 3 频道")
        page.click("#post-establish")
        page.wait_for_selector('#post-info[data-state="active"]', state="attached", timeout=15_000)
        target = page.locator("#post-info .post-target")
        assert target.count() == 1 and target.get_attribute("data-within") == "1"
        assert float(target.get_attribute("data-minutes")) < 30
        assert "within" in target.get_attribute("class")
        assert page.locator(".command-post-pin").count() == 1
        assert page.locator("#post-form").is_hidden()

        # Situation report No. 1: generate, issue, download.
        open_tab(page, "reports")
        page.click("#sitrep-generate")
        sitrep = '#sitrep-list li.sitrep[data-number="1"]'
        page.wait_for_selector(sitrep + '[data-status="draft"]', timeout=15_000)
        page.click(sitrep + " button.sitrep-issue")
        page.wait_for_selector(sitrep + '[data-status="issued"]', timeout=15_000)
        assert page.locator(sitrep + " button.sitrep-issue").count() == 0
        href = page.locator(sitrep + " a.sitrep-pdf").get_attribute("href")
        r = page.request.get(base + href)
        assert r.status == 200 and r.headers["content-type"].startswith("application/pdf")
        assert r.body()[:4] == b"%PDF"
        assert page.locator(sitrep + " a.sitrep-docx").count() == 1
        assert page.locator("#supply-message").is_hidden() and page.locator("#post-message").is_hidden()
    finally:
        close_streams(page)
    assert not errors, errors


def test_operations_made_elsewhere_arrive_live(page, demo_live_server, stocked):
    """A supply request, a command post and a sitrep made by someone else (here through the API) appear on
    an open one-map without a reload: their log entries arrive over the event stream."""
    base = demo_live_server.url
    incident = stocked["incident"]
    open_onemap(page, base, "duty_officer", incident["id"])
    try:
        duty = api_client("duty_officer")
        r = duty.post(
            f"/api/v1/incidents/{incident['id']}/supply-requests",
            {"depot": stocked["depot"]["id"], "item": ITEM, "quantity": "50"},
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
        open_tab(page, "supplies")
        page.wait_for_selector("#supply-list li.supply-request", timeout=20_000)
        assert page.locator('[data-count-for-tab="supplies"]').inner_text() == "1"
        assert page.locator("#supply-list li.supply-request").count() == 1
        r = duty.post(f"/api/v1/incidents/{incident['id']}/sitreps", {}, content_type="application/json")
        assert r.status_code == 201, r.content
        open_tab(page, "reports")
        page.wait_for_selector("#sitrep-list li", timeout=20_000)
    finally:
        close_streams(page)


def test_a_note_added_on_the_one_map_lands_in_the_log(page, demo_live_server, stocked):
    base = demo_live_server.url
    incident = stocked["incident"]
    open_onemap(page, base, "duty_officer", incident["id"])
    try:
        open_tab(page, "log")
        page.fill("#note-text", "现场道路中断，需绕行（测试）")
        page.click("#note-add")
        page.wait_for_selector("#log-list li:has-text('现场道路中断')", timeout=20_000)
        log = api_client("duty_officer").get(f"/api/v1/incidents/{incident['id']}/log").json()
        texts = [e["text"] for e in log["items"]]
        assert any("现场道路中断" in t for t in texts)
    finally:
        close_streams(page)


def test_a_draft_sitrep_is_edited_on_the_one_map_before_it_is_issued(page, demo_live_server, stocked):
    base = demo_live_server.url
    incident = stocked["incident"]
    duty = api_client("duty_officer")
    r = duty.post(f"/api/v1/incidents/{incident['id']}/sitreps", {}, content_type="application/json")
    assert r.status_code == 201, r.content
    open_onemap(page, base, "duty_officer", incident["id"])
    try:
        item = '#sitrep-list li[data-number="1"]'
        open_tab(page, "reports")
        page.wait_for_selector(item + '[data-status="draft"]', timeout=20_000)
        page.click(item + " button.sitrep-edit")
        page.click(item + ' fieldset[data-table="supplies"] button.sitrep-row-add')
        # The editor's widest table scrolls inside its box; the side panel itself does not scroll sideways.
        scroll, client = page.evaluate(
            "() => { const p = document.getElementById('onemap-panel');"
            " return [p.scrollWidth, p.clientWidth]; }"
        )
        assert scroll <= client + 1, (scroll, client)
        times = page.locator(item + ' fieldset[data-table="timeline"] input[name="time"]')
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", times.first.input_value())
        page.fill(item + ' textarea[name="summary"]', "滑坡体仍在移动，已疏散 120 人（测试）")
        page.fill(item + ' textarea[name="needs"]', "救生衣 200 件")
        page.fill(item + ' input[name="injuries"]', "3")
        page.fill(item + ' input[name="missing"]', "1")
        forces = item + ' fieldset[data-table="forces"]'
        page.click(forces + " button.sitrep-row-add")
        page.fill(forces + ' tr.sitrep-row input[name="team"]', "同安区综合应急救援大队")
        page.fill(forces + ' tr.sitrep-row input[name="status_label"]', "已到场")
        timeline = item + ' fieldset[data-table="timeline"]'
        before = page.locator(timeline + " tr.sitrep-row").count()
        assert before >= 2  # reported and verified, from the log
        page.locator(timeline + " tr.sitrep-row button.sitrep-row-remove").first.click()
        page.click(item + " button.sitrep-save")
        page.wait_for_selector(item + '[data-version="2"]', timeout=20_000)
        body = duty.get(f"/api/v1/incidents/{incident['id']}/sitreps/1").json()
        assert body["summary"].startswith("滑坡体仍在移动") and body["needs"] == "救生衣 200 件"
        assert body["timeline"][0]["time"].endswith("+00:00")  # untouched times keep their ISO form
        assert body["supplies"] == [
            {
                "item": "",
                "depot": "",
                "requested": "",
                "approved": "",
                "shipped": "",
                "received": "",
                "unit": "",
            }
        ]
        assert (body["injuries"], body["missing"], body["deaths"]) == (3, 1, 0)
        assert body["forces"] == [{"team": "同安区综合应急救援大队", "status_label": "已到场"}]
        assert len(body["timeline"]) == before - 1
        assert body["version"] == 2 and body["status"] == "draft"
        page.click(item + " button.sitrep-issue")
        page.wait_for_selector(item + '[data-status="issued"]', timeout=20_000)
        assert page.locator(item + " button.sitrep-edit").count() == 0
    finally:
        close_streams(page)
