"""The response page and the duty screen's panel in a real browser: an action marked done elsewhere and a
new proposal appear without a reload (live through the outbox stream and panels.js)."""

import time

import pytest
from django.db import transaction

from tests.support.browser import login
from tests.support.personas import client_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_response_page_and_the_duty_panel_follow_changes_live(page, demo_live_server, settings):
    from citywatch import notify
    from citywatch.core.models import AdminArea
    from citywatch.demo.plans import load_plans
    from citywatch.response.models import Plan

    settings.CITYWATCH_EVENTS_POLL_SECONDS = 0.2
    load_plans()
    base = demo_live_server.url
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    plan = Plan.objects.get(hazard="typhoon")
    started = client_for("commander").post(
        "/api/v1/responses/", {"plan": plan.pk, "level": "3"}, content_type="application/json"
    )
    assert started.status_code == 201
    body = started.json()
    login(page, base, "commander")
    page.wait_for_load_state()
    page.goto(f"{base}/responses/{body['id']}/")
    page.wait_for_selector("body[data-live=open]", state="attached", timeout=15_000)
    item = body["actions"][0]
    assert page.get_attribute(f"tr[data-action='{item['id']}']", "class").startswith("open")
    done = client_for("duty_officer").post(
        f"/api/v1/checklist-actions/{item['id']}/done",
        {"note": "浏览器测试"},
        content_type="application/json",
    )
    assert done.status_code == 200
    page.wait_for_selector(f"tr[data-action='{item['id']}'].done", timeout=15_000)
    assert "浏览器测试" in page.inner_text("#response-live")

    page.goto(f"{base}/duty/")
    page.wait_for_selector("#panel-response-responses", timeout=15_000)
    page.wait_for_selector("body[data-live=open]", state="attached", timeout=15_000)
    with transaction.atomic():
        message = notify.publish(
            "warning.issued",
            area=AdminArea.objects.get(code="350203"),
            subject="思明区暴雨红色预警（测试）",
            hazard="rainstorm",
            level="red",
        )
    from citywatch.response.models import Proposal

    proposal = Proposal.objects.get(message=message)
    page.wait_for_selector(f"#panel-response-responses [data-proposal='{proposal.pk}']", timeout=30_000)
    assert "Ⅱ" in page.inner_text(f"[data-proposal='{proposal.pk}']")
    assert not errors, errors
    page.goto("about:blank")
    time.sleep(1.0)
