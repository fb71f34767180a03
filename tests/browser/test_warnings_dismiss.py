"""A duty officer dismisses a proposal on the warnings page in a real browser: the reason is required
(the browser will not send the form without one), the proposal leaves the page once dismissed, the page
says so in Chinese, and the reason is kept with the proposal."""

from pathlib import Path

import pytest
from django.utils import timezone

from tests.support.browser import login
from tests.support.places import TONGAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def make_proposal():
    from citywatch.core.models import AdminArea
    from citywatch.warnings.hazards import ensure_seeded
    from citywatch.warnings.models import HazardType, Proposal

    ensure_seeded()
    return Proposal.objects.create(
        hazard=HazardType.objects.get(code="rainstorm"),
        area=AdminArea.objects.get(code=TONGAN),
        level="blue",
        value=52.0,
        unit="mm",
        criterion="12小时内降雨量达50毫米以上",
        observed_at=timezone.now(),
    )


@pytest.mark.parametrize("viewport", [(1920, 1080), (390, 844)])
def test_dismissing_a_proposal_on_the_page(browser, demo_live_server, viewport):
    from citywatch.warnings.models import Proposal

    proposal = make_proposal()
    context = browser.new_context(locale="zh-CN", viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    try:
        base = demo_live_server.url
        login(page, base, "duty_officer")
        page.goto(f"{base}/warnings/")
        item = page.locator(f"#proposals li[data-id='{proposal.pk}']")
        form = item.locator("form.dismiss")
        button = form.get_by_role("button", name="驳回")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"warnings-dismiss-{viewport[0]}.png"), full_page=True)
        button.click()  # no reason: the browser keeps the form (required)
        assert page.evaluate(
            "() => !document.querySelector('form.dismiss input[name=reason]').validity.valid"
        )
        proposal.refresh_from_db()
        assert proposal.status == "open"
        form.locator("input[name=reason]").fill("雨带已东移，现场核实无积水")
        button.click()
        page.wait_for_selector("text=建议已驳回", timeout=30_000)
        assert page.locator(f"#proposals li[data-id='{proposal.pk}']").count() == 0
        page.screenshot(path=str(SHOTS / f"warnings-dismissed-{viewport[0]}.png"), full_page=True)
        proposal = Proposal.objects.get(pk=proposal.pk)
        assert (proposal.status, proposal.dismiss_reason, proposal.dismissed_level) == (
            "dismissed",
            "雨带已东移，现场核实无积水",
            "blue",
        )
        assert proposal.dismissed_by.username == "duty_officer"
    finally:
        context.close()
