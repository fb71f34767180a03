"""Live notifications in a real browser: the delivery log page hears of a new message of its user's
jurisdiction through citywatchLive (one EventSource shared by every subscriber), and never of another's."""

import time

import pytest
from django.db import transaction

from tests.support.browser import login
from tests.support.places import HULI, SIMING

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def publish(code, subject, **extra):
    from citywatch.core.models import AdminArea
    from citywatch.notify import publish

    with transaction.atomic():
        return publish("warning.issued", area=AdminArea.objects.get(code=code), subject=subject, **extra)


def test_the_delivery_log_hears_of_new_messages_of_its_jurisdiction(page, demo_live_server, settings):
    settings.CITYWATCH_EVENTS_POLL_SECONDS = 0.2
    base = demo_live_server.url
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, base, "siming_officer")
    page.wait_for_load_state()
    page.goto(f"{base}/notify/deliveries/")
    page.wait_for_selector("body[data-live=open]", state="attached", timeout=15_000)
    # A second subscriber on the same page, through the public API; it shares the connection.
    page.evaluate(
        "() => { window.seen = []; citywatchLive.subscribe(['warning.*'], (m) => window.seen.push(m)); }"
    )

    huli = publish(HULI, "湖里区暴雨黄色预警")
    siming = publish(SIMING, "思明区暴雨黄色预警", exercise=True)
    page.wait_for_selector("#live-notice:not([hidden])", timeout=15_000)
    assert page.get_attribute("#live-notice", "data-message-id") == str(siming.pk)
    notice = page.inner_text("#live-notice")
    assert "思明区暴雨黄色预警" in notice and notice.startswith("【演练】") and "新通知" in notice
    page.wait_for_function("() => window.seen.length >= 1", timeout=10_000)
    time.sleep(0.5)  # a poll or two more: Huli's message must not come
    seen = page.evaluate("() => window.seen.map((m) => [m.id, m.area.code, m.exercise])")
    assert seen == [[siming.pk, SIMING, True]] and huli.pk not in [s[0] for s in seen]
    assert not errors, errors
    page.goto("about:blank")
    time.sleep(1.0)
