"""An edit of the incident reaches every open one-map live: what one officer changes (title, severity,
people trapped, the caller, the description, the location) shows in the header another officer is
reading, without a reload; the editor's own page follows at once, without a reload either.

Assertions check what a person sees: the header's text, the place below the title, the form's values."""

import pytest

from tests.support.browser import FAR, close_streams, login, open_onemap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def mark_loaded(page):
    """A flag on the window that only a reload would take away."""
    page.evaluate("() => { window.notReloaded = true; }")


def not_reloaded(page) -> bool:
    return page.evaluate("() => window.notReloaded === true")


def test_an_edit_refreshes_every_open_one_map(browser, page, demo_live_server, scene):
    base = demo_live_server.url
    incident_id = scene["incident"]["id"]
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_onemap(page, base, "duty_officer", incident_id)
    other_context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    other = other_context.new_page()
    other.on("pageerror", lambda e: errors.append(str(e)))
    # A team leader with an order for this incident, on their phone.
    r = scene["duty"].post(
        f"/api/v1/incidents/{incident_id}/dispatches",
        {"team": scene["near"]["id"]},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    phone_context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    phone = phone_context.new_page()
    phone.on("pageerror", lambda e: errors.append(str(e)))
    card = f'#phone-orders li.order[data-id="{r.json()["id"]}"]'
    try:
        login(phone, base, "team_leader")
        phone.goto(f"{base}/m/dispatches/")
        phone.wait_for_selector("body[data-live=open]", state="attached", timeout=15_000)
        assert "Ⅱ" not in phone.locator(card + " .severity").inner_text()
        open_onemap(other, base, "commander", incident_id)
        mark_loaded(page)
        mark_loaded(other)
        assert "被困" not in other.locator("#incident-facts").inner_text()
        assert other.locator("#incident-description").count() == 0

        # The duty officer edits the incident in the dialog of the one-map.
        page.click("#edit-incident")
        form = page.locator("#incident-edit-form")
        form.locator("input[name=title]").fill("同安山体滑坡，两户被埋")
        form.locator("select[name=severity]").select_option("2")
        form.locator("input[name=people_trapped]").fill("5")
        form.locator("input[name=deaths]").fill("1")
        form.locator("input[name=caller_name]").fill("陈大山")
        form.locator("input[name=caller_phone]").fill("13900000000")
        form.locator("textarea[name=description]").fill("山坡塌方，两户房屋被埋，五人被困。")
        page.click("#edit-save")

        # The editor's own header follows without a reload …
        page.wait_for_function(
            "() => document.getElementById('incident-title').textContent.includes('两户被埋')", timeout=15_000
        )
        assert not page.locator("#incident-edit").is_visible()
        assert not_reloaded(page)

        # … and so does the other officer's, over the live stream.
        other.wait_for_function(
            "() => document.getElementById('incident-title').textContent.includes('两户被埋')", timeout=15_000
        )
        other.wait_for_function(
            "() => document.getElementById('incident-severity').textContent.includes('Ⅱ')", timeout=15_000
        )
        assert not_reloaded(other)
        assert other.locator("#incident-title").is_visible()
        assert other.title().startswith("同安山体滑坡，两户被埋")
        facts = other.locator("#incident-facts").inner_text()
        assert "被困 5 人" in facts and "死亡 1 人" in facts and "陈大山" in facts and "13900000000" in facts
        assert other.locator("#incident-facts a[href='tel:13900000000']").is_visible()
        assert "两户房屋被埋" in other.locator("#incident-description").inner_text()
        assert other.locator("#incident-description").is_visible()
        # The other officer's edit form holds the new values too, so their next edit starts from them.
        other.click("#edit-incident")
        other_form = other.locator("#incident-edit-form")
        assert other_form.locator("input[name=title]").input_value() == "同安山体滑坡，两户被埋"
        assert other_form.locator("select[name=severity]").input_value() == "2"
        assert other_form.locator("input[name=people_trapped]").input_value() == "5"
        other.click("#edit-cancel")

        # The team leader's order card shows the incident as it now is.
        phone.wait_for_selector(card + " .severity:has-text('Ⅱ')", timeout=15_000)
        assert "两户被埋" in phone.locator(card + " .order-incident").inner_text()
        assert phone.locator(card + " .order-trapped").inner_text() == "5"
        assert "两户房屋被埋" in phone.locator(card + " .order-description").inner_text()

        # A new location (through the API, as another client would): the place below the title follows,
        # and the rings and the ranked list are read anew around it.
        version = int(other.get_attribute("#onemap", "data-incident-version"))
        r = scene["duty"].patch(
            f"/api/v1/incidents/{incident_id}",
            {"lon": FAR[0], "lat": FAR[1], "version": version},
            content_type="application/json",
        )
        assert r.status_code == 200, r.content
        moved = r.json()
        other.wait_for_selector(
            f"#onemap[data-incident-version='{moved['version']}']", state="attached", timeout=15_000
        )
        assert other.locator(".incident-place").inner_text() == " · ".join(moved["place"])
        other.wait_for_selector("#onemap[data-nearby=loaded]", state="attached", timeout=30_000)
        other.wait_for_selector("#onemap[data-rings=loaded]", state="attached", timeout=30_000)
        centre = other.evaluate("() => window.citywatchIncidentPlace()")
        assert abs(centre[0] - FAR[0]) < 1e-6 and abs(centre[1] - FAR[1]) < 1e-6
        assert not_reloaded(other)
    finally:
        close_streams(phone)
        phone_context.close()
        close_streams(other)
        other_context.close()
        close_streams(page)
    assert not errors, errors
