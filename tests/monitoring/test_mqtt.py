"""``citywatch ingest mqtt`` against a real Mosquitto started on a free port (persistent sessions on the
broker's disk): readings stored, malformed payloads dead-lettered while the subscriber keeps running, and a
broker restart mid-stream with nothing lost at QoS 1 (and nothing stored twice)."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from tests.monitoring.conftest import at, iso
from tests.support.notify import MOSQUITTO, Mosquitto

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which(MOSQUITTO) is None, reason="needs mosquitto (make test installs it)"),
]


class PersistentMosquitto(Mosquitto):
    """The test broker, keeping sessions and queued messages on disk across a restart."""

    def __init__(self, directory):
        super().__init__(directory)
        store = directory / "store"
        store.mkdir()
        self.conf.write_text(
            # user root: a broker started as root keeps its user, so it can write the test's directory
            f"user root\nlistener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {store}/\nlog_dest file {self.log}\n"
        )


@pytest.fixture
def broker(tmp_path):
    b = PersistentMosquitto(tmp_path)
    b.start()
    yield b
    b.stop()


@pytest.fixture
def subscriber(broker):
    from citywatch.monitoring.mqtt import ObservationSubscriber

    s = ObservationSubscriber(broker.url, client_id="t-ingest", batch_seconds=0.1)
    s.start()
    assert s.subscribed.wait(10)
    yield s
    s.stop()


def drain(subscriber, until, seconds=20.0):
    """Step the subscriber until ``until()`` holds (bounded, so a failure cannot hang the suite)."""
    deadline = time.monotonic() + seconds
    while not until() and time.monotonic() < deadline:
        subscriber.step(timeout=0.2)
    return until()


def rain_values(external_id):
    from citywatch.monitoring.models import Observation

    return sorted(
        Observation.objects.filter(station__external_id=external_id).values_list("value", flat=True)
    )


def test_readings_are_stored_and_malformed_payloads_dead_lettered(network, broker, subscriber):
    from citywatch.monitoring.models import DeadLetter
    from citywatch.monitoring.mqtt import publish_readings

    code = network["siming"].code
    publish_readings(broker.url, code, [{"station": "t-siming-0", "variable": "rain", "time": iso(at(m)),
                                         "value": m / 10} for m in range(0, 50, 5)])  # fmt: skip
    from paho.mqtt import publish

    for topic, payload in (
        (f"citywatch/obs/{code}/t-siming-1", b"not json"),
        (
            f"citywatch/obs/{code}/t-siming-1",
            json.dumps({"variable": "rain", "time": iso(at(0)), "value": -3}),
        ),
        (
            "citywatch/obs/t-no-such-source/x",
            json.dumps({"variable": "rain", "time": iso(at(0)), "value": 1}),
        ),
    ):
        publish.single(topic, payload, qos=1, hostname="127.0.0.1", port=broker.port)
    publish_readings(
        broker.url, code, [{"station": "t-siming-1", "variable": "rain", "time": iso(at(5)), "value": 2}]
    )
    assert drain(subscriber, lambda: len(rain_values("t-siming-1")) == 1 and DeadLetter.objects.count() == 3)
    assert rain_values("t-siming-0") == [m / 10 for m in range(0, 50, 5)]
    reasons = sorted(DeadLetter.objects.values_list("reason", flat=True))
    assert any("not JSON" in r for r in reasons) and any("t-no-such-source" in r for r in reasons)
    assert any("valid range" in r for r in reasons)


def test_a_broker_restart_mid_stream_loses_nothing(network, broker, subscriber):
    from paho.mqtt.client import Client
    from paho.mqtt.enums import CallbackAPIVersion

    code = network["siming"].code
    topic = f"citywatch/obs/{code}/t-siming-2"
    publisher = Client(CallbackAPIVersion.VERSION2, client_id="t-station", clean_session=False)
    publisher.reconnect_delay_set(min_delay=1, max_delay=2)
    acked: set[int] = set()  # PUBACKs the station's client received
    publisher.on_publish = lambda client, userdata, mid, reason_code, properties: acked.add(mid)
    publisher.connect("127.0.0.1", broker.port)
    publisher.loop_start()
    try:
        sent = []
        for m in range(10):  # delivered to the subscriber, not yet stored (so not yet acknowledged)
            sent.append(
                publisher.publish(
                    topic, json.dumps({"variable": "rain", "time": iso(at(m)), "value": m}), qos=1
                )
            )
        deadline = time.monotonic() + 10
        while not all(info.mid in acked for info in sent) and time.monotonic() < deadline:
            time.sleep(0.05)
        deadline = time.monotonic() + 10
        while subscriber.inbox.qsize() < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        broker.stop()
        for m in range(10, 20):  # while the broker is down: held by the station's client
            sent.append(
                publisher.publish(
                    topic, json.dumps({"variable": "rain", "time": iso(at(m)), "value": m}), qos=1
                )
            )
        broker.start()
        deadline = time.monotonic() + 30  # the station's client resends what it holds when it is back
        while not all(info.mid in acked for info in sent) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert drain(subscriber, lambda: len(rain_values("t-siming-2")) == 20, seconds=40)
    finally:
        publisher.disconnect()
        publisher.loop_stop()
    assert rain_values("t-siming-2") == [float(m) for m in range(20)]
    assert subscriber.stats.connects >= 2
