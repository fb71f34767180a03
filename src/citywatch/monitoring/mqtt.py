"""``citywatch ingest mqtt``: readings from an MQTT broker into the one ingestion function.

The subscriber connects to ``CITYWATCH_MQTT_URL`` (without it MQTT is off and everything else works) with a
fixed client id (``CITYWATCH_MQTT_CLIENT_ID``) and a **persistent session** (MQTT 3.1.1,
``clean_session=False``), subscribes at **QoS 1** to ``<CITYWATCH_MQTT_OBS_PREFIX>/+/+`` — that is
``citywatch/obs/<source code>/<station external id>`` — and reconnects by itself with back-off (1 s
doubling to 60 s). A message is acknowledged (``PUBACK``, manual acks) only **after** the transaction that
stored its readings has committed, so a broker restart or a crash loses nothing: an unacknowledged message
comes again and the ingestion, being idempotent, stores it once. Messages are taken in batches (up to
``batch_size`` or ``batch_seconds``), one ingestion per source and batch.

A payload is a JSON object ``{"variable": "rain", "time": "<ISO 8601 with offset>", "value": 1.2}``
(optionally ``quality`` and ``correction``), or an array of them; the station and the source come from
the topic. A payload that cannot be read (not JSON, not an object or array, a topic outside the pattern, an
unknown source), and a message whose readings were refused, goes to the dead-letter table with the reason;
the subscriber keeps running.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, connection

from citywatch.monitoring.choices import Channel

log = logging.getLogger(__name__)
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_READINGS_PER_MESSAGE = 1000


@dataclass
class Received:
    mid: int
    qos: int
    topic: str
    payload: bytes
    connection: int = 0  # which connection brought it (a message id means nothing on another one)


@dataclass
class Stats:
    messages: int = 0
    accepted: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    connects: int = 0


def parse_topic(topic: str, prefix: str) -> tuple[str, str] | None:
    head = prefix.rstrip("/") + "/"
    if not topic.startswith(head):
        return None
    rest = topic[len(head) :].split("/")
    if len(rest) != 2 or not all(rest):
        return None
    return rest[0], rest[1]


def payload_records(payload: bytes, station: str) -> list[dict] | str:
    """The reading records of one message, or why it cannot be read."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return f"payload larger than {MAX_PAYLOAD_BYTES} bytes"
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return "payload is not JSON"
    items = data if isinstance(data, list) else [data]
    if not items or len(items) > MAX_READINGS_PER_MESSAGE:
        return f"a payload holds 1 to {MAX_READINGS_PER_MESSAGE} readings"
    records = []
    for item in items:
        if not isinstance(item, dict):
            return "a reading must be a JSON object with variable, time and value"
        if "station" in item and str(item["station"]) != station:
            return "the payload names another station than its topic"
        records.append(
            {
                "station": station,
                "variable": item.get("variable"),
                "time": item.get("time"),
                "value": item.get("value"),
                "quality": item.get("quality"),
                "correction": item.get("correction"),
            }
        )
    return records


class ObservationSubscriber:
    def __init__(
        self,
        url: str | None = None,
        *,
        client_id: str | None = None,
        prefix: str | None = None,
        batch_size: int = 500,
        batch_seconds: float = 0.5,
    ):
        from citywatch.notify.transports.mqtt import broker_from_url

        self.broker = broker_from_url(url if url is not None else settings.CITYWATCH_MQTT_URL)
        self.client_id = client_id or settings.CITYWATCH_MQTT_CLIENT_ID
        self.prefix = (prefix or settings.CITYWATCH_MQTT_OBS_PREFIX).rstrip("/")
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.inbox: queue.Queue[Received] = queue.Queue()
        self.stats = Stats()
        self.subscribed = threading.Event()
        self.client = None

    @property
    def enabled(self) -> bool:
        return self.broker is not None

    def _client(self):
        from paho.mqtt.client import Client, MQTTv311
        from paho.mqtt.enums import CallbackAPIVersion

        client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            clean_session=False,
            protocol=MQTTv311,
            manual_ack=True,
        )
        client.reconnect_delay_set(min_delay=1, max_delay=60)
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set()
        topic = f"{self.prefix}/+/+"

        def on_connect(client, userdata, flags, reason_code, properties):
            if reason_code.is_failure:
                log.warning("MQTT connection refused: %s", reason_code)
                return
            self.stats.connects += 1
            client.subscribe(topic, qos=1)

        def on_subscribe(client, userdata, mid, reason_codes, properties):
            self.subscribed.set()

        def on_disconnect(client, userdata, flags, reason_code, properties):
            self.subscribed.clear()
            log.info("MQTT disconnected (%s); reconnecting with back-off", reason_code)

        def on_message(client, userdata, msg):
            self.inbox.put(Received(msg.mid, msg.qos, msg.topic, bytes(msg.payload), self.stats.connects))

        client.on_connect = on_connect
        client.on_subscribe = on_subscribe
        client.on_disconnect = on_disconnect
        client.on_message = on_message
        return client

    def start(self) -> None:
        """Connect (asynchronously: a broker that is down is retried with back-off) and start the network
        thread."""
        if not self.enabled:
            raise RuntimeError("CITYWATCH_MQTT_URL is not set: MQTT ingestion is off")
        self.client = self._client()
        self.client.connect_async(self.broker.host, self.broker.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        if self.client is not None:
            self.client.disconnect()
            self.client.loop_stop()
            self.client = None

    def run(self, stop: threading.Event | None = None) -> Stats:
        """Take and store batches until ``stop`` is set (forever without one)."""
        stop = stop or threading.Event()
        self.start()
        try:
            while not stop.is_set():
                self.step(timeout=0.5)
        finally:
            self.stop()
        return self.stats

    def step(self, timeout: float = 0.5) -> int:
        """Store one batch (waiting up to ``timeout`` for the first message); returns the messages taken."""
        try:
            first = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return 0
        batch = [first]
        deadline = time.monotonic() + self.batch_seconds
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self.inbox.get(timeout=remaining))
            except queue.Empty:
                break
        if not connection.in_atomic_block:  # a long-running process: drop a connection the server closed
            close_old_connections()
        try:
            self.store(batch)
        except Exception:
            # not acknowledged: the broker sends them again (the ingestion is idempotent)
            log.exception("MQTT batch of %s messages could not be stored; it will come again", len(batch))
            time.sleep(1)
            return len(batch)
        for item in batch:
            # a message of an earlier connection is not acknowledged on this one: the broker sends it
            # again on the resumed session, and it is stored once
            if item.qos > 0 and self.client is not None and item.connection == self.stats.connects:
                self.client.ack(item.mid, item.qos)
        return len(batch)

    def store(self, batch: list[Received]) -> None:
        from django.db import transaction

        from citywatch.core.changelog import acting_as
        from citywatch.core.choices import ChangeSource
        from citywatch.monitoring.actions.ingest import Batch, ingest
        from citywatch.monitoring.adapters import dead_letter
        from citywatch.monitoring.models import DataSource

        self.stats.messages += len(batch)
        per_source: dict[str, list[tuple[Received, list[dict]]]] = {}
        with acting_as(None, ChangeSource.SYSTEM), transaction.atomic():
            sources = {}
            for item in batch:
                where = parse_topic(item.topic, self.prefix)
                if where is None:
                    self._dead(dead_letter, None, item, "topic is not <prefix>/<source>/<station>")
                    continue
                code, station = where
                if code not in sources:
                    sources[code] = DataSource.objects.filter(code=code, active=True).first()
                if sources[code] is None:
                    self._dead(dead_letter, None, item, f"unknown or inactive source {code!r}")
                    continue
                records = payload_records(item.payload, station)
                if isinstance(records, str):
                    self._dead(dead_letter, sources[code], item, records)
                    continue
                per_source.setdefault(code, []).append((item, records))
            limit = settings.CITYWATCH_INGEST_MAX_READINGS
            for code, messages in per_source.items():
                group: list[tuple[Received, list[dict]]] = []
                size = 0
                for message in messages:
                    if group and size + len(message[1]) > limit:
                        self._ingest(sources[code], group, ingest, Batch, dead_letter)
                        group, size = [], 0
                    group.append(message)
                    size += len(message[1])
                if group:
                    self._ingest(sources[code], group, ingest, Batch, dead_letter)

    def _ingest(self, source, messages, ingest, Batch, dead_letter) -> None:  # noqa: N803
        records = [r for _item, recs in messages for r in recs]
        result = ingest(Batch.from_records(records), source=source)
        self.stats.accepted += result.accepted
        self.stats.duplicates += result.duplicates
        if not result.rejected:
            return
        owner: list[Received] = []
        for item, recs in messages:
            owner.extend([item] * len(recs))
        reasons: dict[int, list[str]] = {}
        for rejection in result.rejected:
            reasons.setdefault(id(owner[rejection.index]), []).append(rejection.reason)
        for item, _recs in messages:
            if id(item) in reasons:
                self._dead(dead_letter, source, item, "; ".join(reasons[id(item)])[:500])

    def _dead(self, writer, source, item: Received, reason: str) -> None:
        self.stats.dead_letters += 1
        writer(Channel.MQTT, source, item.topic, item.payload, reason)


def publish_readings(
    url: str, source_code: str, readings: list[dict], *, prefix: str | None = None, qos: int = 1
):
    """Publish readings (``station``, ``variable``, ``time``, ``value``, optionally ``quality`` and
    ``correction``) to the observation topics and wait
    for every PUBACK (the demo's storm and the tests' feeds)."""
    from paho.mqtt.client import Client
    from paho.mqtt.enums import CallbackAPIVersion

    from citywatch.notify.transports.mqtt import broker_from_url

    broker = broker_from_url(url)
    prefix = (prefix or settings.CITYWATCH_MQTT_OBS_PREFIX).rstrip("/")
    client = Client(CallbackAPIVersion.VERSION2, client_id=f"citywatch-pub-{uuid.uuid4().hex[:8]}")
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set()
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        infos = []
        for r in readings:
            body = {k: r[k] for k in ("variable", "time", "value", "quality", "correction") if k in r}
            infos.append(client.publish(f"{prefix}/{source_code}/{r['station']}", json.dumps(body), qos=qos))
        for info in infos:
            info.wait_for_publish(timeout=30)
    finally:
        client.disconnect()
        client.loop_stop()
