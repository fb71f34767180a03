"""What the notification tests need: messages and subscriptions made through the actions, a real
Mosquitto started on a free port, an MQTT subscriber, and a local webhook endpoint whose answers a test
scripts and which checks every signature by itself (hmac + hashlib, not the code under test)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.places import SIMING

MOSQUITTO = "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def area(code: str = SIMING):
    from citywatch.core.models import AdminArea

    return AdminArea.objects.get(code=code)


def message(kind: str = "warning.issued", code: str | None = SIMING, **extra):
    """A message published (in a transaction) for the area ``code`` (None: no area)."""
    from django.db import transaction

    from citywatch.notify import publish

    fields = {"subject": "暴雨黄色预警（测试）", "hazard": "rainstorm", "level": "yellow"}
    fields.update(extra)
    with transaction.atomic():
        return publish(kind, area=area(code) if code else None, **fields)


def subscription(
    transport: str = "webhook", target: str = "http://127.0.0.1:9/hook", user="city_admin", **extra
):
    """A subscription made by ``user`` through the action; returns (subscription, secret)."""
    from citywatch.core.models import User
    from citywatch.notify import actions

    data = {"name": f"{transport} 测试订阅", "transport": transport, "target": target}
    data.update(extra)
    return actions.create_subscription(User.objects.get(username=user), data)


class Mosquitto:
    """A real broker on 127.0.0.1:<free port>, no persistence, anonymous; stop() and start() again keep
    the port."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.conf = directory / "mosquitto.conf"
        self.log = directory / "mosquitto.log"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            f"log_dest file {self.log}\n"
        )
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, wait: float = 10.0) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)])
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"mosquitto exited: {self.log.read_text() if self.log.exists() else ''}"
                    ) from None
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


class Subscriber:
    """A paho client subscribed (QoS 1) to ``topic``; ``received`` holds (topic, JSON payload) pairs."""

    def __init__(self, port: int, topic: str = "#"):
        from paho.mqtt.client import Client
        from paho.mqtt.enums import CallbackAPIVersion

        self.received: list[tuple[str, dict]] = []
        self.ready = threading.Event()
        self.client = Client(CallbackAPIVersion.VERSION2, client_id=f"test-sub-{port}")

        def on_connect(client, userdata, flags, reason_code, properties):
            client.subscribe(topic, qos=1)

        def on_subscribe(client, userdata, mid, reason_codes, properties):
            self.ready.set()

        def on_message(client, userdata, msg):
            self.received.append((msg.topic, json.loads(msg.payload)))

        self.client.on_connect = on_connect
        self.client.on_subscribe = on_subscribe
        self.client.on_message = on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not self.ready.wait(10):
            raise RuntimeError("the test subscriber could not subscribe")

    def wait_for(self, count: int, seconds: float = 5.0) -> list[tuple[str, dict]]:
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.received)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Endpoint:
    """A webhook endpoint on 127.0.0.1:<free port>. ``script`` says how to answer each request in turn
    (the last one repeats): an HTTP status ("200", "500", "404", "429"), "slow:<seconds>" (then 200), or
    "garbage" (a reply that is not HTTP). Every request is recorded with whether its signature is right."""

    def __init__(self, secret: str, script=("200",)):
        self.secret = secret
        self.script = list(script)
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                return

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                timestamp = self.headers.get("X-CityWatch-Timestamp", "")
                expected = hmac.new(
                    endpoint.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
                ).hexdigest()
                with endpoint.lock:
                    step = endpoint.script.pop(0) if len(endpoint.script) > 1 else endpoint.script[0]
                    endpoint.requests.append(
                        {
                            "headers": dict(self.headers.items()),
                            "body": json.loads(body),
                            "signed": self.headers.get("X-CityWatch-Signature") == f"sha256={expected}",
                            "answer": step,
                        }
                    )
                if step == "garbage":
                    self.wfile.write(b"THIS IS NOT HTTP\r\n\r\n")
                    return
                if step.startswith("slow:"):
                    time.sleep(float(step.split(":", 1)[1]))
                    step = "200"
                payload = b'{"ok": true}' if step.startswith("2") else b"endpoint says no"
                self.send_response(int(step))
                if step == "429":
                    self.send_header("Retry-After", "120")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/citywatch"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
