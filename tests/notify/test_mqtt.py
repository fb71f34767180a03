"""MQTT delivery against a real Mosquitto the test starts on a free port: QoS 1 with the PUBACK awaited,
topics from the template, and a broker outage that delays a message without losing or doubling it."""

import shutil
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from citywatch.notify import worker
from citywatch.notify.models import Delivery
from tests.support.notify import MOSQUITTO, Mosquitto, Subscriber, message, subscription
from tests.support.places import SIMING

pytestmark = pytest.mark.skipif(
    shutil.which(MOSQUITTO) is None, reason="needs mosquitto (make test installs it)"
)


@pytest.fixture
def broker(tmp_path, settings):
    b = Mosquitto(tmp_path)
    b.start()
    settings.CITYWATCH_MQTT_URL = b.url
    settings.CITYWATCH_NOTIFY_MQTT_TIMEOUT_SECONDS = 3
    yield b
    b.stop()


@pytest.fixture
def subscribers():
    made = []

    def make(port, topic="#"):
        s = Subscriber(port, topic)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def test_published_at_qos1_to_the_templated_topic(db, broker, subscribers):
    listener = subscribers(broker.port, "citywatch/#")
    sub, secret = subscription("mqtt", "citywatch/{kind}/{area_code}/{level}")
    assert secret == ""
    msg = message("warning.issued", level="orange", payload={"n": 1})
    result = worker.run_once("w1")
    assert result.sent == 1
    d = Delivery.objects.get(subscription=sub, message=msg)
    assert d.status == "sent" and d.attempts == 1
    [(topic, body)] = listener.wait_for(1)
    assert topic == f"citywatch/warning.issued/{SIMING}/orange"
    assert body["id"] == msg.pk and body["payload"] == {"n": 1} and body["level"] == "orange"


def test_one_connection_serves_a_round(db, broker, subscribers):
    listener = subscribers(broker.port)
    subscription("mqtt", "screens/{status}/{kind}")
    ids = [message("alarm.opened", subject=f"告警 {i}").pk for i in range(3)]
    assert worker.run_once("w1").sent == 3
    received = listener.wait_for(3)
    assert sorted(body["id"] for _, body in received) == ids
    assert {topic for topic, _ in received} == {"screens/actual/alarm.opened"}


def test_broker_down_delays_the_message_which_then_arrives_exactly_once(db, broker, subscribers):
    sub, _ = subscription("mqtt", "citywatch/{kind}/{area_code}")
    broker.stop()
    msg = message("warning.issued", subject="思明区台风橙色预警", hazard="typhoon", level="orange")
    other = message("warning.issued", subject="第二条")

    result = worker.run_once("w1")
    assert result.failed == 2 and result.sent == 0
    d = Delivery.objects.get(subscription=sub, message=msg)
    assert d.status == "failed" and d.attempts == 1 and d.next_attempt_at > timezone.now()
    assert f"127.0.0.1:{broker.port}" in d.last_error
    # Nothing is due yet: a round now does not touch it.
    assert worker.run_once("w1").failed == 0

    broker.start()
    listener = subscribers(broker.port, "citywatch/#")
    later = max(x.next_attempt_at for x in Delivery.objects.filter(subscription=sub)) + timedelta(seconds=1)
    result = worker.run_once("w1", now=later)
    assert result.sent == 2
    listener.wait_for(2)
    time.sleep(0.5)  # room for a duplicate to show up, were there one
    assert sorted(body["id"] for _, body in listener.received) == sorted([msg.pk, other.pk])
    d.refresh_from_db()
    assert d.status == "sent" and d.attempts == 2
    # Later rounds send nothing again.
    worker.run_once("w1", now=later + timedelta(hours=5))
    time.sleep(0.3)
    assert len(listener.received) == 2
