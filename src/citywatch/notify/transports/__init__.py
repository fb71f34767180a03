"""The transports, behind one registry (Healthchecks' ``TRANSPORTS`` idea): a subscription names its
transport by key, the worker looks it up here; adding a way out is one class and one line below, never an
``if transport == …`` chain."""

from __future__ import annotations

from citywatch.notify.transports.base import Outcome, Sender, Transport, clip
from citywatch.notify.transports.email import EmailTransport
from citywatch.notify.transports.mqtt import MqttTransport
from citywatch.notify.transports.webhook import WebhookTransport

TRANSPORTS: dict[str, Transport] = {t.key: t for t in (MqttTransport(), WebhookTransport(), EmailTransport())}


def get(key: str) -> Transport | None:
    return TRANSPORTS.get(key)


def choices() -> list[tuple[str, str]]:
    return [(key, str(t.label)) for key, t in TRANSPORTS.items()]


def label_of(key: str) -> str:
    transport = TRANSPORTS.get(key)
    return str(transport.label) if transport else key


__all__ = ["TRANSPORTS", "Outcome", "Sender", "Transport", "choices", "clip", "get", "label_of"]
