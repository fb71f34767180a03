"""citywatch webhook-receiver (the demo's receiver): a real subprocess that checks each signature, prints
the message and answers 200, or 401 for a bad signature; and the worker delivering to it."""

import hashlib
import hmac
import http.client
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from citywatch.notify import worker
from citywatch.notify.models import Delivery
from citywatch.notify.transports.webhook import sign, verify
from tests.support.notify import message, subscription

CITYWATCH = Path(sys.executable).with_name("citywatch")


@pytest.fixture
def receiver():
    yield from start_receiver()


@pytest.fixture
def brief_receiver():
    yield from start_receiver("--brief")


def start_receiver(*extra):
    secret = "receiver-secret-0123456789"
    process = subprocess.Popen(
        [str(CITYWATCH), "webhook-receiver", "--port", "0", "--secret", secret, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        first = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert found, (first, process.stderr.read() if process.poll() is not None else "")
        yield secret, f"http://127.0.0.1:{found.group(1)}/hook", process
    finally:
        # The receiver stops at once; the interpreter's exit (a Django process's heap collected) can take
        # seconds on a loaded machine, which is not what this test is about.
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def post(url, body: bytes, headers: dict) -> int:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request("POST", parts.path, body, {"Content-Type": "application/json", **headers})
        return conn.getresponse().status
    finally:
        conn.close()


def test_the_receiver_checks_signatures(receiver):
    secret, url, _ = receiver
    body = json.dumps({"id": 1, "kind": "warning.issued"}).encode()
    now = str(int(time.time()))
    good = hmac.new(secret.encode(), now.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert post(url, body, {"X-CityWatch-Timestamp": now, "X-CityWatch-Signature": f"sha256={good}"}) == 200
    assert (
        post(url, body, {"X-CityWatch-Timestamp": now, "X-CityWatch-Signature": "sha256=" + "0" * 64}) == 401
    )
    assert post(url, body, {}) == 401
    tampered = body.replace(b"warning", b"warnings")
    assert (
        post(url, tampered, {"X-CityWatch-Timestamp": now, "X-CityWatch-Signature": f"sha256={good}"}) == 401
    )
    old = str(int(time.time()) - 3600)
    stale = hmac.new(secret.encode(), old.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert post(url, body, {"X-CityWatch-Timestamp": old, "X-CityWatch-Signature": f"sha256={stale}"}) == 401


def test_the_worker_delivers_to_the_receiver_which_prints_the_message(db, receiver, settings):
    settings.CITYWATCH_MQTT_URL = ""
    secret, url, process = receiver
    sub, _ = subscription("webhook", url, secret=secret)
    msg = message("response.started", subject="启动台风Ⅲ级应急响应", hazard="typhoon", level="orange")
    worker.run_once("receiver-test")
    assert Delivery.objects.get(subscription=sub, message=msg).status == "sent"
    printed = json.loads(process.stdout.readline())
    assert printed["id"] == msg.pk and printed["subject"] == "启动台风Ⅲ级应急响应"


def test_sign_and_verify_agree_with_the_documented_scheme():
    body = b'{"id":1}'
    expected = hmac.new(b"k" * 20, b"1767225600." + body, hashlib.sha256).hexdigest()
    assert sign("k" * 20, "1767225600", body) == f"sha256={expected}"
    assert verify("k" * 20, "1767225600", body, f"sha256={expected}", now=1767225600 + 10)
    assert not verify("k" * 20, "1767225600", body, f"sha256={expected}", now=1767225600 + 301)
    assert not verify("k" * 20, "not-a-time", body, f"sha256={expected}")


def signed_post(secret, url, message: dict) -> int:
    body = json.dumps(message, ensure_ascii=False).encode()
    now = str(int(time.time()))
    return post(url, body, {"X-CityWatch-Timestamp": now, "X-CityWatch-Signature": sign(secret, now, body)})


def test_brief_prints_a_line_not_the_document(brief_receiver):
    """The demo's receiver (``--brief``): a line with the time, the count by kind and the subject."""
    secret, url, process = brief_receiver
    assert signed_post(secret, url, {"id": 7, "kind": "alarm.opened", "subject": "黄色告警：雨量站"}) == 200
    line = process.stdout.readline()
    assert "告警产生 1" in line and "黄色告警：雨量站" in line and not line.lstrip().startswith("{")


def test_a_burst_is_one_line():
    """Messages arriving together are one line: how many of each kind, and the last subject."""
    import importlib
    import io

    bursts = importlib.import_module("citywatch.notify.management.commands.webhook-receiver").Bursts
    out = io.StringIO()
    burst = bursts(out, window=3600)  # flushed by hand below, not by the clock
    for n in range(300):
        burst.add({"id": n, "kind": "alarm.opened", "subject": f"告警{n}"})
    burst.add({"id": 300, "kind": "dispatch.requested", "subject": "调派指令 DP000001"})
    burst.flush()
    burst.flush()  # nothing more arrived: nothing more printed
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert "301" in lines[0] and "告警产生 300、调派指令下达 1" in lines[0]  # the kinds by name, not code
    assert "DP000001" in lines[0]
