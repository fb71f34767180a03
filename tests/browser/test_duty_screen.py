"""The duty screen at 1920×1080 (issue 11, item 10): a duty officer lands on it, and its panels use the
width of the screen, an unanswered order among them."""

import datetime
import os

import pytest
from django.utils import timezone

from tests.support.browser import close_streams, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "var/screenshots"


def test_the_duty_screen_uses_the_width_and_shows_unanswered_orders(browser, demo_live_server, scene):
    from citywatch.incidents.models import Dispatch

    base = demo_live_server.url
    r = scene["duty"].post(
        f"/api/v1/incidents/{scene['incident']['id']}/dispatches",
        {"team": scene["near"]["id"]},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    Dispatch.objects.filter(pk=r.json()["id"]).update(
        requested_at=timezone.now() - datetime.timedelta(minutes=9)
    )
    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        login(page, base, "duty_officer")
        page.wait_for_url(f"{base}/duty/")
        item = page.locator(f'#duty-unanswered li[data-dispatch="{r.json()["id"]}"]')
        assert item.is_visible() and r.json()["number"] in item.inner_text()
        main = page.locator("main").bounding_box()
        assert main["width"] >= 1800, main
        boxes = [page.locator(s).bounding_box() for s in (".duty-open", ".duty-overdue", ".duty-unanswered")]
        assert len({round(b["y"]) for b in boxes}) == 1, boxes  # side by side, not stacked
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/duty-screen.png")
    finally:
        close_streams(page)
        context.close()


CRITERION = "24 小时内平均风力达 8 级以上或阵风 10 级以上"  # as the typhoon's proposals say it


def typhoon_night():
    """Twelve warning proposals (typhoon and gale in each of six districts) and a dozen live alarms, the
    orange gusts among them: the warnings column runs long, as in ``citywatch simulate typhoon``."""
    import importlib

    from django.apps import apps

    from citywatch.core.models import AdminArea
    from citywatch.warnings import actions as warning_actions
    from citywatch.warnings.hazards import ensure_seeded
    from tests.support.monitoring import alarm_in

    ensure_seeded()
    # A transactional test starts from an emptied database: the variable catalogue (a migration's data) too.
    importlib.import_module("citywatch.monitoring.migrations.0002_variables").seed(apps, None)
    districts = list(AdminArea.objects.filter(level="district"))
    assert len(districts) == 6, districts
    now = timezone.now()
    for hazard in ("typhoon", "gale"):
        signals = [
            warning_actions.Signal(
                area=d, level="yellow", value=10, unit="级", criterion=CRITERION, observed_at=now
            )
            for d in districts
        ]
        warning_actions.record_signals(hazard, signals, districts)
    return [alarm_in(level=level) for level in ["orange"] * 4 + ["blue"] * 8]


def test_on_a_typhoon_night_the_alarms_are_in_the_first_screen(browser, demo_live_server):
    """The warnings and responses take the right of the 1920×1080 screen over two rows; the alarms sit under
    the incident columns, in the first screen, one line each with the acknowledge form at its end."""
    alarms = typhoon_night()
    context = browser.new_context(locale="zh-CN", viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        login(page, demo_live_server.url, "duty_officer")
        page.wait_for_url(f"{demo_live_server.url}/duty/")
        assert page.locator("#panel-warnings-overview li").count() >= 12
        for selector in ("#h-alarms", f'#duty-alarms li[data-id="{alarms[0].pk}"] form.alarm-ack button'):
            box = page.locator(selector).bounding_box()
            assert box is not None and box["y"] + box["height"] <= 1080, (selector, box)
        assert page.evaluate("() => window.scrollY") == 0
        # The form ends the alarm's own line: the badge and the button share a row.
        row = page.locator(f'#duty-alarms li[data-id="{alarms[0].pk}"]')
        badge, button = row.locator(".badge").first.bounding_box(), row.locator("form button").bounding_box()
        assert button["y"] < badge["y"] + badge["height"] and badge["y"] < button["y"] + button["height"]
        # A proposal is one or two lines: the reason for dismissing it opens on demand.
        proposal = page.locator("#panel-warnings-overview li").first
        reason = proposal.locator("input[name=reason]")
        assert not reason.is_visible()
        proposal.locator("details.dismiss-box > summary").click()
        assert reason.is_visible() and proposal.locator("form.dismiss button").is_visible()
        last = page.locator("#panel-warnings-overview ul.proposals > li").last.bounding_box()
        assert last["y"] + last["height"] <= 1080, last  # all twelve proposals in the first screen
        page.screenshot(path=f"{SHOTS}/duty-screen-typhoon-night.png")
    finally:
        close_streams(page)
        context.close()
