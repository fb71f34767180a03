"""The demo's own Mosquitto broker keeps the console to what a user needs: no start-up banner ("Create a
configuration file which defines a listener to allow remote access"), no line per client connecting."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from citywatch.demo.subscriptions import outside_world


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not shutil.which("mosquitto"), reason="needs Debian's mosquitto")
def test_demo_broker_is_quiet_and_local(settings, tmp_path):
    settings.DATA_DIR = str(tmp_path)
    port = free_port()
    env: dict = {}
    children = outside_world(env, broker_port=port, receiver_port=free_port())
    assert env["CITYWATCH_MQTT_URL"] == f"mqtt://127.0.0.1:{port}"
    broker = subprocess.Popen(children["broker"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        for _ in range(50):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            pytest.fail("the broker did not listen")
        # A client connects and publishes, as the worker does.
        from citywatch.monitoring.mqtt import publish_readings

        publish_readings(f"mqtt://127.0.0.1:{port}", "test", [])
        time.sleep(0.5)
    finally:
        broker.terminate()
        output = broker.communicate(timeout=10)[0].decode()
    assert output == "", output


def test_the_demo_console_leaves_out_each_delivery_round(monkeypatch):
    """The webhook receiver prints a line in words per burst of notifications; the worker's count of each
    delivery round (event=round worker=… messages=12 deliveries=24 …) is not for the demo's user. Failures
    (WARNING) still show; CITYWATCH_NOTIFY_LOG_LEVEL set by hand wins."""
    import os
    import sys

    from citywatch.demo.management.commands.demo import children_env

    env = children_env({"PATH": os.environ["PATH"]})
    assert env["CITYWATCH_NOTIFY_LOG_LEVEL"] == "WARNING"
    assert children_env({"CITYWATCH_NOTIFY_LOG_LEVEL": "INFO"})["CITYWATCH_NOTIFY_LOG_LEVEL"] == "INFO"

    script = (
        "import django, logging; django.setup(); "
        "log = logging.getLogger('citywatch.notify'); "
        "log.info('event=round messages=1'); log.warning('event=delivery.dead delivery=1')"
    )
    child = {**os.environ, **{k: v for k, v in env.items() if k.startswith("CITYWATCH_NOTIFY")}}
    child["DJANGO_SETTINGS_MODULE"] = "citywatch.settings"
    done = subprocess.run(
        [sys.executable, "-c", script], env=child, capture_output=True, text=True, check=True
    )  # noqa: S603
    assert "event=round" not in done.stderr and "event=delivery.dead" in done.stderr, done.stderr


def test_the_readings_subscriber_says_in_chinese_where_it_listens(monkeypatch):
    """`citywatch ingest mqtt` (a child of the demo) says where it listens in the site's language; stopped,
    it says nothing more (its counts are for a log, not the demo's console)."""
    import io

    from django.core.management import call_command

    from citywatch.monitoring import mqtt

    class Stats:
        messages = accepted = 0

    monkeypatch.setattr(mqtt.ObservationSubscriber, "run", lambda self, stop: Stats())
    out = io.StringIO()
    call_command("ingest", "mqtt", "--url", "mqtt://127.0.0.1:18811", stdout=out)
    assert out.getvalue() == "正在接收监测读数：citywatch/obs/+/+（MQTT 127.0.0.1:18811，按 Ctrl-C 停止）\n"
