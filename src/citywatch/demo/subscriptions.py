"""The demo's two notification subscriptions, so that the demo's chain reaches the outside world as the
issue's demo path describes: an MQTT topic for terminals and screens (``citywatch/{status}/{kind}/
{area_code}``; needs ``CITYWATCH_MQTT_URL`` and a broker: ``mosquitto_sub -t 'citywatch/#' -v``) and a
webhook to the demo receiver (``citywatch webhook-receiver --port 8765 --secret "$(cat var/
demo-webhook-secret)"``). Both take drills (marked ``exercise``); neither is public. The webhook's signing
secret is generated on the first load and kept in the data directory (0600), like the demo password.
Loaded by ``citywatch demo`` only (the tests make their own subscriptions)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings

RECEIVER_URL = "http://127.0.0.1:{port}/hook"
MQTT_TOPIC = "citywatch/{status}/{kind}/{area_code}"


def webhook_secret() -> str:
    path = Path(settings.DATA_DIR) / "demo-webhook-secret"
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def load_subscriptions(receiver_port: int | None = None) -> dict:
    """The two subscriptions (those not made yet: the receiver's port is the first load's)."""
    from citywatch.core.models import User
    from citywatch.notify import actions
    from citywatch.notify.models import Subscription

    admin = User.objects.get(username="city_admin")
    made = {}
    wanted = (
        ("演示：MQTT 大屏与终端", "mqtt", MQTT_TOPIC, {}),
        (
            "演示：Webhook 接收端",
            "webhook",
            RECEIVER_URL.format(port=receiver_port or RECEIVER_PORT),
            {"secret": webhook_secret()},
        ),
    )
    for name, transport, target, extra in wanted:
        if Subscription.objects.filter(name=name).exists():
            continue
        data = {"name": name, "transport": transport, "target": target, "include_exercise": True, **extra}
        actions.create_subscription(admin, data)
        made[transport] = target
    return made


BROKER_PORT = 1883
RECEIVER_PORT = 8765


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def broker_config(port: int) -> Path:
    """The demo broker's configuration, in the data directory: local only, anonymous, and quiet — errors and
    warnings alone reach the console, not Mosquitto's start-up banner nor a line per client connecting."""
    path = Path(settings.DATA_DIR) / "demo-mosquitto.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous true\n"
        "persistence false\n"
        "connection_messages false\n"
        "log_dest stderr\n"
        "log_type error\n"
        "log_type warning\n"
    )
    return path


def outside_world(
    env: dict, broker_port: int = BROKER_PORT, receiver_port: int = RECEIVER_PORT
) -> dict[str, list[str]]:
    """The processes ``citywatch demo`` runs beside web and worker so that its notifications have somewhere
    to go: a Mosquitto broker on 127.0.0.1:1883 (unless ``CITYWATCH_MQTT_URL`` names one, or one listens
    there already — Debian's service — which is then used) and the demo webhook receiver on :8765, which
    prints a line per burst of signed messages it gets (``--broker-port`` and ``--receiver-port`` move them,
    for a second demo on the same machine). ``env`` gets the broker's URL for the worker."""
    import shutil
    import sys

    children: dict[str, list[str]] = {}
    if not env.get("CITYWATCH_MQTT_URL"):
        if not _listening(broker_port) and shutil.which("mosquitto"):
            children["broker"] = ["mosquitto", "-c", str(broker_config(broker_port))]
        if "broker" in children or _listening(broker_port):
            env["CITYWATCH_MQTT_URL"] = f"mqtt://127.0.0.1:{broker_port}"
    if not _listening(receiver_port):
        children["receiver"] = [
            sys.executable,
            "-m",
            "citywatch.cli",
            "webhook-receiver",
            "--port",
            str(receiver_port),
            "--secret",
            webhook_secret(),
            "--brief",  # a line per burst: hundreds of alarms at once are one line
        ]
    return children
