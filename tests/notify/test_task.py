"""The periodic task of `citywatch worker`: delivery rounds for a bounded time, unless switched off."""

import pytest

from citywatch.notify import tasks
from citywatch.notify.models import Delivery
from tests.support.notify import message, subscription


@pytest.fixture
def short(monkeypatch, settings):
    monkeypatch.setattr(tasks, "TASK_SECONDS", 0.3)
    settings.CITYWATCH_NOTIFY_POLL_SECONDS = 0.05
    settings.CITYWATCH_MQTT_URL = ""


def test_the_task_delivers(db, short, settings):
    settings.CITYWATCH_NOTIFY_IN_WORKER = True
    sub, _ = subscription("email", "duty@example.org")
    msg = message()
    tasks.deliver_notifications.call_local()
    msg.refresh_from_db()
    assert msg.fanned_out_by.startswith("huey-")
    assert Delivery.objects.get(subscription=sub, message=msg).status == "sent"


def test_the_task_leaves_delivery_to_citywatch_deliver_when_told(db, short, settings):
    settings.CITYWATCH_NOTIFY_IN_WORKER = False
    subscription("email", "duty@example.org")
    msg = message()
    tasks.deliver_notifications.call_local()
    msg.refresh_from_db()
    assert msg.fanned_out_at is None
