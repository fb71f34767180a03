"""The subscription form in a real browser: event kinds and hazards offered as ticked boxes by name (no
code on the page), saved as their codes, and named again on the subscription's page."""

from pathlib import Path

import pytest

from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.mark.parametrize("viewport", [(1920, 1080), (390, 844)])
def test_a_subscription_made_by_ticking_names(browser, demo_live_server, viewport):
    from citywatch.notify.models import Subscription

    context = browser.new_context(locale="zh-CN", viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    try:
        base = demo_live_server.url
        login(page, base, "city_admin")
        page.goto(f"{base}/notify/subscriptions/new/")
        page.fill("#id_name", f"名称订阅{viewport[0]}")
        page.select_option("#id_transport", "email")
        page.fill("#id_target", "duty@example.org")
        page.get_by_label("发布预警", exact=True).check()
        page.get_by_label("全部应急响应事件", exact=True).check()
        page.get_by_label("台风", exact=True).check()
        text = page.inner_text("form.subscription-form")
        assert "warning." not in text and "typhoon" not in text
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"subscription-form-{viewport[0]}.png"), full_page=True)
        page.locator("form.subscription-form button[type=submit]").click()
        page.wait_for_selector("dl.facts", timeout=30_000)
        facts = page.inner_text("dl.facts")
        assert "发布预警" in facts and "全部应急响应事件" in facts and "台风" in facts
        assert "warning." not in facts and "typhoon" not in facts
        sub = Subscription.objects.get(name=f"名称订阅{viewport[0]}")
        assert sorted(sub.kinds) == ["response.*", "warning.issued"] and sub.hazards == ["typhoon"]
    finally:
        context.close()
