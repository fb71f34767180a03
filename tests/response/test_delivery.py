"""Response events through the outbox to a real Mosquitto (started on a free port) and a webhook endpoint:
a broker that is down delays the message, which then arrives exactly once; signatures verify; a drill
reaches the subscriptions that take exercises and never a public one."""

import shutil
import time
from datetime import timedelta

import pytest

from citywatch.core.models import User
from citywatch.notify import worker
from citywatch.notify.models import Delivery, Subscription
from citywatch.response import actions
from citywatch.response.models import Plan
from tests.support.notify import MOSQUITTO, Endpoint, Mosquitto, Subscriber, subscription

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which(MOSQUITTO) is None, reason="needs mosquitto (make test installs it)"),
]


@pytest.fixture
def broker(tmp_path, settings):
    b = Mosquitto(tmp_path)
    b.start()
    settings.CITYWATCH_MQTT_URL = b.url
    settings.CITYWATCH_NOTIFY_MQTT_TIMEOUT_SECONDS = 3
    settings.CITYWATCH_NOTIFY_WEBHOOK_READ_TIMEOUT = 2
    yield b
    b.stop()


def webhook(public: bool, include_exercise: bool):
    sub, secret = subscription(
        "webhook",
        "http://127.0.0.1:9/x",
        name=f"网站 {public}",
        public=public,
        include_exercise=include_exercise,
        kinds=["response.*"],
    )
    endpoint = Endpoint(secret)
    Subscription.objects.filter(pk=sub.pk).update(target=endpoint.url)
    return endpoint


def test_broker_down_then_up_exactly_once_and_a_drill_never_public(broker):
    commander = User.objects.get(username="commander")
    plan = Plan.objects.get(hazard="typhoon", area__code="350200")
    mqtt, _ = subscription("mqtt", "citywatch/{status}/{kind}", kinds=["response.*"], include_exercise=True)
    public = webhook(public=True, include_exercise=False)
    internal = webhook(public=False, include_exercise=True)
    listener = None
    try:
        broker.stop()
        real = actions.start(commander, plan, "3", reason="台风黄色预警")
        drill = actions.start(commander, plan, "4", reason="演练", exercise=True)
        first = worker.run_once("w1")
        assert first.failed == 2  # the two MQTT deliveries wait for the broker
        broker.start()
        listener = Subscriber(broker.port, "citywatch/#")
        later = max(d.next_attempt_at for d in Delivery.objects.filter(subscription=mqtt)) + timedelta(
            seconds=1
        )
        worker.run_once("w1", now=later)
        received = listener.wait_for(2)
        time.sleep(0.5)  # room for a duplicate to show up, were there one
        assert sorted(topic for topic, _ in listener.received) == [
            "citywatch/actual/response.started",
            "citywatch/exercise/response.started",
        ]
        by_status = {body["status"]: body for _, body in received}
        assert by_status["actual"]["payload"]["response"] == real.pk
        assert by_status["exercise"]["payload"]["response"] == drill.pk and by_status["exercise"]["exercise"]
        worker.run_once("w1", now=later + timedelta(hours=3))
        time.sleep(0.3)
        assert len(listener.received) == 2
        # The public site got the real response only; the internal endpoint both; all signed.
        assert [r["body"]["payload"]["response"] for r in public.requests] == [real.pk]
        assert sorted(r["body"]["payload"]["response"] for r in internal.requests) == sorted(
            [real.pk, drill.pk]
        )
        assert all(r["signed"] for r in public.requests + internal.requests)
    finally:
        if listener:
            listener.close()
        public.close()
        internal.close()
