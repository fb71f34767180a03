"""The worker's own steps: fan-out exactly once, claims, a claim taken back from a worker that stopped
mid-send, and the command."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from citywatch.notify import actions, worker
from citywatch.notify.models import Delivery, DeliveryAttempt, Message
from tests.support.notify import Endpoint, message, subscription
from tests.support.places import HULI


@pytest.fixture(autouse=True)
def no_mqtt(settings):
    settings.CITYWATCH_MQTT_URL = ""


def test_fan_out_makes_one_delivery_per_matching_subscription_once(db):
    a, _ = subscription("webhook", "http://127.0.0.1:9/a", kinds=["warning.*"])
    b, _ = subscription("email", "duty@example.org", min_level="yellow")
    c, _ = subscription("webhook", "http://127.0.0.1:9/c", kinds=["response.*"])
    d, _ = subscription("mqtt", "citywatch/{kind}", area=HULI)
    msg = message("warning.issued", level="orange")
    assert actions.fan_out(msg.pk, "w1") == 2
    assert actions.fan_out(msg.pk, "w2") is None
    assert actions.fan_out_pending("w3") == (0, 0)
    assert set(Delivery.objects.filter(message=msg).values_list("subscription_id", flat=True)) == {a.pk, b.pk}
    msg.refresh_from_db()
    assert msg.fanned_out_by == "w1" and msg.fanned_out_at
    assert not Delivery.objects.filter(subscription__in=[c, d]).exists()


def test_a_claimed_delivery_is_not_claimed_again(db):
    subscription("webhook", "http://127.0.0.1:9/a")
    msg = message()
    actions.fan_out(msg.pk, "w1")
    now = timezone.now()
    first = actions.claim_next("w1", now, {"webhook"})
    assert (
        first is not None and first.status == "sending" and first.claimed_by == "w1" and first.attempts == 1
    )
    assert actions.claim_next("w2", now, {"webhook"}) is None
    assert actions.claim_next("w2", now, {"email"}) is None


def test_a_claim_left_by_a_stopped_worker_is_taken_back(db, settings):
    settings.CITYWATCH_NOTIFY_CLAIM_TIMEOUT_SECONDS = 300
    sub, secret = subscription("webhook", "http://127.0.0.1:9/a")
    endpoint = Endpoint(secret)
    try:
        type(sub).objects.filter(pk=sub.pk).update(target=endpoint.url)
        msg = message()
        long_ago = timezone.now() - timedelta(minutes=10)
        actions.fan_out(msg.pk, "ghost", now=long_ago)
        claimed = actions.claim_next("ghost", long_ago, {"webhook"})
        assert claimed.status == "sending"
        # Within the timeout nobody touches it...
        assert worker.run_once("w1", now=long_ago + timedelta(minutes=4)).reclaimed == 0
        # ...after it, it is taken back, counted as a lost attempt, and sent.
        result = worker.run_once("w1")
        assert result.reclaimed == 1 and result.sent == 1
        d = Delivery.objects.get(pk=claimed.pk)
        assert d.status == "sent" and d.attempts == 2 and len(endpoint.requests) == 1
        assert [a.outcome for a in DeliveryAttempt.objects.filter(delivery=d)] == ["lost", "sent"]
    finally:
        endpoint.close()


def test_mqtt_without_a_broker_url_waits_and_the_rest_goes_on(db, settings):
    mqtt_sub, _ = subscription("mqtt", "citywatch/{kind}/{area_code}")
    mail_sub, _ = subscription("email", "duty@example.org")
    msg = message()
    result = worker.run_once("w1")
    assert "mqtt" in result.waiting and result.sent == 1
    waiting = Delivery.objects.get(subscription=mqtt_sub, message=msg)
    assert waiting.status == "pending" and waiting.attempts == 0
    assert "CITYWATCH_MQTT_URL" in waiting.last_error
    assert Delivery.objects.get(subscription=mail_sub, message=msg).status == "sent"


def test_deliver_once_command(db, capsys):
    subscription("email", "duty@example.org")
    message()
    call_command("deliver", "--once", "--worker-id", "cli-1")
    out = capsys.readouterr().out
    assert "1" in out
    assert Message.objects.filter(fanned_out_by="cli-1").exists()
    assert Delivery.objects.filter(status="sent").exists()


def test_structured_log_lines(db, caplog):
    subscription("email", "duty@example.org")
    msg = message()
    with caplog.at_level("DEBUG", logger="citywatch.notify"):
        worker.run_once("w-log")
    records = [r for r in caplog.records if r.name == "citywatch.notify"]
    lines = [r.getMessage() for r in records]
    assert any(line.startswith("event=message.fanned_out") and f"message={msg.pk}" in line for line in lines)
    assert any(line.startswith("event=delivery.sent") and "transport=email" in line for line in lines)
    # Each delivery is routine (DEBUG); the round's one line says what it did (INFO).
    levels = {r.getMessage().split()[0]: r.levelname for r in records}
    assert levels["event=delivery.sent"] == "DEBUG" and levels["event=message.fanned_out"] == "DEBUG"
    assert levels["event=round"] == "INFO"
