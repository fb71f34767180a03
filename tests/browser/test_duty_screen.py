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
