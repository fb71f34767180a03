"""MQTT (paho-mqtt 2.x): each message published at QoS 1 to a topic made from the subscription's
template; a delivery is sent only when the broker's PUBACK has come back.

The broker is ``CITYWATCH_MQTT_URL`` (``mqtt://[user:password@]host[:1883]``, or ``mqtts://`` for TLS on
8883). Without it MQTT deliveries stay pending, saying so, and every other transport works. One connection
serves a whole worker round; a broker that cannot be reached fails the round's MQTT deliveries at once
(each is retried later with back-off), so a dead broker never stalls the worker.
"""

from __future__ import annotations

import json
import string
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citywatch.core.errors import Invalid
from citywatch.notify.transports.base import Outcome, Sender, Transport

# Placeholders a topic template may use.
TOPIC_FIELDS = ("kind", "area_code", "hazard", "level", "status")
MAX_TOPIC_CHARS = 200


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def broker_from_url(url: str) -> Broker | None:
    """The broker named by ``url`` (``mqtt://`` or ``mqtts://``), None for an empty URL."""
    if not url.strip():
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl") or not parts.hostname:
        raise ImproperlyConfigured(f"CITYWATCH_MQTT_URL must look like mqtt://host:1883, not {url!r}")
    tls = parts.scheme in ("mqtts", "ssl")
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError:
        raise ImproperlyConfigured(f"CITYWATCH_MQTT_URL has a bad port: {url!r}") from None
    return Broker(
        parts.hostname,
        port,
        tls,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
    )


def topic_fields(message) -> dict[str, str]:
    return {
        "kind": message.kind,
        "area_code": message.area.code if message.area_id else "all",
        "hazard": message.hazard or "none",
        "level": message.level or "none",
        "status": "exercise" if message.exercise else "actual",
    }


def check_topic_template(template: str) -> str:
    """The template, or ``Invalid``: only ``{kind}``, ``{area_code}``, ``{hazard}``, ``{level}`` and
    ``{status}`` placeholders; no MQTT wildcards (``+``, ``#``); not a ``$`` system topic."""
    template = template.strip()
    if not template:
        raise Invalid(_("Give the MQTT topic (for example citywatch/{kind}/{area_code})."))
    if len(template) > MAX_TOPIC_CHARS:
        raise Invalid(_("The MQTT topic is too long (at most %(n)s characters).") % {"n": MAX_TOPIC_CHARS})
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        raise Invalid(_("The MQTT topic has an unbalanced { or }.")) from None
    for literal, name, spec, conversion in parsed:
        if any(c in literal for c in "+#\x00") or any(c.isspace() for c in literal):
            raise Invalid(_("An MQTT topic may not contain +, #, spaces or control characters."))
        if name is not None and (name not in TOPIC_FIELDS or spec or conversion):
            raise Invalid(
                _("Unknown placeholder {%(name)s} in the MQTT topic; use %(fields)s.")
                % {"name": name, "fields": ", ".join(f"{{{f}}}" for f in TOPIC_FIELDS)}
            )
    if template.startswith("$"):
        raise Invalid(_("An MQTT topic may not start with $ (broker system topics)."))
    return template


def render_topic(template: str, message) -> str:
    return template.format_map(topic_fields(message))


class MqttSender(Sender):
    def __init__(self, broker: Broker, worker_id: str, timeout: float):
        self.broker = broker
        self.worker_id = worker_id
        self.timeout = timeout
        self.client = None
        self.down: str | None = None  # why the broker could not be reached in this round

    def _connect(self):
        from paho.mqtt.client import Client, MQTTProtocolVersion
        from paho.mqtt.enums import CallbackAPIVersion

        client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"citywatch-notify-{uuid.uuid4().hex[:12]}",
            protocol=MQTTProtocolVersion.MQTTv311,
            clean_session=True,
        )
        client.connect_timeout = self.timeout
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set()
        answered = threading.Event()
        result = {}

        def on_connect(client, userdata, flags, reason_code, properties):
            result["reason"] = reason_code
            answered.set()

        client.on_connect = on_connect
        client.connect(self.broker.host, self.broker.port, keepalive=30)
        client.loop_start()
        if not answered.wait(self.timeout):
            self._stop(client)
            raise TimeoutError(
                _("the broker did not answer the connection within %(s)s s") % {"s": self.timeout}
            )
        reason = result["reason"]
        if reason.is_failure:
            self._stop(client)
            raise ConnectionError(_("the broker refused the connection: %(reason)s") % {"reason": reason})
        self.client = client

    @staticmethod
    def _stop(client):
        try:
            client.disconnect()
        finally:
            client.loop_stop()

    def send(self, message, subscription, delivery) -> Outcome:
        if self.down:
            return Outcome.retry(self.down)
        where = f"{self.broker.host}:{self.broker.port}"
        if self.client is None or not self.client.is_connected():
            self.close()
            try:
                self._connect()
            except (OSError, TimeoutError, ConnectionError, ValueError) as exc:
                self.down = _("MQTT broker %(where)s unreachable: %(error)s") % {"where": where, "error": exc}
                return Outcome.retry(self.down)
        topic = render_topic(subscription.target, message)
        payload = json.dumps(message.envelope(), ensure_ascii=False, separators=(",", ":"))
        info = self.client.publish(topic, payload.encode(), qos=1)
        try:
            info.wait_for_publish(self.timeout)
        except (RuntimeError, ValueError) as exc:
            self.close()
            return Outcome.retry(_("MQTT publish failed: %(error)s") % {"error": exc})
        if not info.is_published():
            # Drop the connection: paho would otherwise send the message again on reconnect.
            self.close()
            return Outcome.retry(_("no PUBACK from the broker within %(s)s s") % {"s": self.timeout})
        return Outcome.sent()

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            self._stop(client)


class MqttTransport(Transport):
    key = "mqtt"
    label = gettext_lazy("MQTT topic")

    def clean_target(self, raw: str) -> str:
        return check_topic_template(raw)

    def unavailable(self) -> str | None:
        if broker_from_url(settings.CITYWATCH_MQTT_URL) is None:
            return _("MQTT is not configured (CITYWATCH_MQTT_URL is not set); waiting.")
        return None

    def open(self, worker_id: str) -> Sender:
        broker = broker_from_url(settings.CITYWATCH_MQTT_URL)
        return MqttSender(broker, worker_id, settings.CITYWATCH_NOTIFY_MQTT_TIMEOUT_SECONDS)
