"""The worker against a real local webhook endpoint (http.server in a thread): signatures checked by the
endpoint itself, retries on 5xx, 429 and timeouts, dead on 4xx and on answers that are not HTTP, and a
worker that keeps going whatever an endpoint does."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from citywatch.notify import actions, worker
from citywatch.notify.models import Delivery, DeliveryAttempt
from tests.support.notify import Endpoint, message, subscription


@pytest.fixture
def fast(settings):
    settings.CITYWATCH_NOTIFY_WEBHOOK_CONNECT_TIMEOUT = 2
    settings.CITYWATCH_NOTIFY_WEBHOOK_READ_TIMEOUT = 0.5
    settings.CITYWATCH_NOTIFY_RETRY_BASE_SECONDS = 30
    settings.CITYWATCH_NOTIFY_RETRY_MAX_SECONDS = 1800
    settings.CITYWATCH_NOTIFY_MAX_ATTEMPTS = 8
    settings.CITYWATCH_MQTT_URL = ""


@pytest.fixture
def endpoints():
    made = []

    def make(secret, script=("200",)):
        endpoint = Endpoint(secret, script)
        made.append(endpoint)
        return endpoint

    yield make
    for endpoint in made:
        endpoint.close()


def hooked(endpoints, script=("200",), **extra):
    """A webhook subscription whose endpoint answers as ``script`` says."""
    sub, secret = subscription("webhook", "http://127.0.0.1:9/placeholder", **extra)
    endpoint = endpoints(secret, script)
    type(sub).objects.filter(pk=sub.pk).update(target=endpoint.url)
    sub.refresh_from_db()
    return sub, endpoint


def delivery_of(sub, msg):
    return Delivery.objects.get(subscription=sub, message=msg)


def test_delivered_once_signed_with_the_documented_headers(db, fast, endpoints):
    sub, endpoint = hooked(endpoints)
    msg = message("warning.issued", payload={"warning": 12})
    result = worker.run_once("w1")
    assert result.sent >= 1
    d = delivery_of(sub, msg)
    assert d.status == "sent" and d.attempts == 1 and d.response_status == 200 and d.sent_at
    [request] = endpoint.requests
    assert request["signed"], "the endpoint's own HMAC check failed"
    headers = request["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-CityWatch-Event"] == "warning.issued"
    assert headers["X-CityWatch-Message"] == str(msg.pk) and headers["X-CityWatch-Delivery"] == str(d.pk)
    assert headers["X-CityWatch-Signature"].startswith("sha256=")
    body = request["body"]
    assert body["id"] == msg.pk and body["kind"] == "warning.issued" and body["payload"] == {"warning": 12}
    assert body["area"]["code"] == "350203" and body["exercise"] is False
    # A second round sends nothing more.
    worker.run_once("w2")
    assert len(endpoint.requests) == 1


def test_a_wrong_secret_fails_the_endpoints_check(db, fast, endpoints):
    sub, secret = subscription("webhook", "http://127.0.0.1:9/x")
    endpoint = endpoints("not-the-secret-at-all", ("200",))
    type(sub).objects.filter(pk=sub.pk).update(target=endpoint.url)
    message()
    worker.run_once("w1")
    assert endpoint.requests and not endpoint.requests[0]["signed"]


def test_5xx_then_200_is_delivered_once_after_a_retry(db, fast, endpoints):
    sub, endpoint = hooked(endpoints, ("503", "200"))
    msg = message()
    before = timezone.now()
    worker.run_once("w1")
    d = delivery_of(sub, msg)
    assert d.status == "failed" and d.attempts == 1 and d.response_status == 503
    assert "503" in d.last_error
    # The back-off: between half and all of the 30 s base step.
    pause = (d.next_attempt_at - before).total_seconds()
    assert 14 <= pause <= 31, pause
    # Not due yet: nothing happens.
    worker.run_once("w1")
    assert len(endpoint.requests) == 1
    worker.run_once("w1", now=d.next_attempt_at + timedelta(seconds=1))
    d.refresh_from_db()
    assert d.status == "sent" and d.attempts == 2 and len(endpoint.requests) == 2
    assert [a.outcome for a in DeliveryAttempt.objects.filter(delivery=d)] == ["failed", "sent"]
    worker.run_once("w1", now=d.next_attempt_at + timedelta(hours=3))
    assert len(endpoint.requests) == 2


def test_a_slow_endpoint_times_out_and_is_retried(db, fast, endpoints):
    sub, endpoint = hooked(endpoints, ("slow:2", "200"))
    msg = message()
    worker.run_once("w1")
    d = delivery_of(sub, msg)
    assert d.status == "failed" and "0.5" in d.last_error and d.response_status is None
    worker.run_once("w1", now=d.next_attempt_at + timedelta(seconds=1))
    d.refresh_from_db()
    assert d.status == "sent" and d.attempts == 2


def test_429_waits_at_least_as_long_as_retry_after(db, fast, endpoints):
    sub, endpoint = hooked(endpoints, ("429", "200"))
    msg = message()
    before = timezone.now()
    worker.run_once("w1")
    d = delivery_of(sub, msg)
    assert d.status == "failed" and d.response_status == 429
    assert (d.next_attempt_at - before).total_seconds() >= 119


@pytest.mark.parametrize(
    ("answer", "reason"),
    [("404", "HTTP 404"), ("400", "HTTP 400"), ("301", "redirects are not followed"), ("garbage", "HTTP")],
)
def test_4xx_redirects_and_garbage_are_dead_with_the_reason_and_the_worker_goes_on(
    db, fast, endpoints, answer, reason, settings
):
    settings.LANGUAGE_CODE = "en"
    bad, bad_endpoint = hooked(endpoints, (answer,), name="坏的接收端")
    good, good_endpoint = hooked(endpoints, ("200",), name="好的接收端")
    msg = message()
    result = worker.run_once("w1")
    assert result.dead == 1 and result.sent == 1
    d = delivery_of(bad, msg)
    assert d.status == "dead" and d.attempts == 1 and reason in d.last_error, d.last_error
    assert delivery_of(good, msg).status == "sent"
    # Dead is final until a person retries it.
    worker.run_once("w1", now=timezone.now() + timedelta(days=1))
    assert len(bad_endpoint.requests) == 1


def test_dead_after_the_last_attempt_then_retried_by_a_person(db, fast, endpoints, settings, user):
    settings.CITYWATCH_NOTIFY_MAX_ATTEMPTS = 3
    sub, endpoint = hooked(endpoints, ("500",))
    msg = message()
    now = timezone.now()
    for _ in range(3):
        worker.run_once("w1", now=now)
        now += timedelta(hours=2)
    d = delivery_of(sub, msg)
    assert d.status == "dead" and d.attempts == 3 and len(endpoint.requests) == 3
    assert [a.number for a in DeliveryAttempt.objects.filter(delivery=d)] == [1, 2, 3]
    with transaction.atomic():
        actions.retry_delivery(user("duty_officer"), d)
    d.refresh_from_db()
    assert d.status == "pending" and d.attempts == 0 and d.retried_by.username == "duty_officer"
    endpoint.script = ["200"]
    worker.run_once("w1")
    d.refresh_from_db()
    assert d.status == "sent" and d.attempts == 1
    assert DeliveryAttempt.objects.filter(delivery=d).count() == 4


def test_a_broken_row_is_a_failed_attempt_not_a_stopped_worker(db, fast, endpoints):
    broken, _ = subscription("webhook", "http://127.0.0.1:9/x", name="坏数据")
    # Someone edited the table by hand: the URL no longer parses.
    type(broken).objects.filter(pk=broken.pk).update(target="http://[::1")
    good, endpoint = hooked(endpoints)
    msg = message()
    result = worker.run_once("w1")
    assert result.sent == 1 and result.failed == 1
    d = delivery_of(broken, msg)
    assert d.status == "failed" and "ValueError" in d.last_error
    assert delivery_of(good, msg).status == "sent"


def test_an_unreachable_endpoint_is_retried(db, fast):
    sub, _ = subscription("webhook", "http://127.0.0.1:9/nobody-listens")
    msg = message()
    worker.run_once("w1")
    d = delivery_of(sub, msg)
    assert d.status == "failed" and d.last_error


def test_an_exercise_never_reaches_a_public_subscription(db, fast, endpoints):
    public, public_endpoint = hooked(endpoints, public=True, include_exercise=False, name="公众平台")
    drills, drill_endpoint = hooked(endpoints, include_exercise=True, name="演练接收端")
    message("warning.issued", exercise=True, public=True)
    real = message("warning.issued", public=True)
    worker.run_once("w1")
    assert [r["body"]["id"] for r in public_endpoint.requests] == [real.pk]
    assert sorted(r["body"]["exercise"] for r in drill_endpoint.requests) == [False, True]
    assert not Delivery.objects.filter(subscription=public, message__exercise=True).exists()


def test_switching_a_subscription_off_gives_up_its_waiting_deliveries(db, fast, user):
    sub, _ = subscription("webhook", "http://127.0.0.1:9/nobody-listens")
    msg = message()
    worker.run_once("w1")
    assert delivery_of(sub, msg).status == "failed"
    actions.set_active(user("city_admin"), sub, False)
    d = delivery_of(sub, msg)
    assert d.status == "dead" and d.last_error
    worker.run_once("w1", now=timezone.now() + timedelta(days=1))
    assert delivery_of(sub, msg).attempts == 1
    # A message written while it is off does not go to it.
    later = message()
    worker.run_once("w1")
    assert not Delivery.objects.filter(subscription=sub, message=later).exists()
