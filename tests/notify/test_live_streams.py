"""Live streams without a thread or a query each (``notify.events.Watch``): the streams of a process share
one poll of the outbox, or on PostgreSQL are woken by NOTIFY; under the production server many open
streams hold no thread each."""

import asyncio
import contextlib
import functools
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import override_settings

from citywatch.notify import events
from tests.support.notify import message
from tests.support.places import SIMING
from tests.support.servers import SRC, seeded_spatialite, uvicorn_server

STREAMS = 50


def test_many_streams_share_one_poll_of_the_outbox(db, settings):
    """50 streams waiting: the outbox is polled by one of them at a time, never by each; every stream
    reads its own events only when the outbox has a new row."""
    from citywatch.core.models import User

    settings.CITYWATCH_EVENTS_POLL_SECONDS = 0.2
    settings.CITYWATCH_EVENTS_HEARTBEAT_SECONDS = 3600
    settings.CITYWATCH_EVENTS_MAX_SECONDS = 60
    user = User.objects.get(username="duty_officer")
    fetches = [0] * STREAMS

    async def one(i, cursor):
        def fetch():
            fetches[i] += 1
            return events.poll(user, cursor)

        seen = b""
        async for chunk in events.async_stream(fetch, events.OUTBOX):
            seen += chunk
            if b"data: " in seen:
                return seen
        return seen

    async def run():
        start = await sync_to_async(
            events.Message.objects.order_by("-id").values_list("id", flat=True).first
        )()
        streams = [asyncio.ensure_future(one(i, events.Cursor(start or 0))) for i in range(STREAMS)]
        for _ in range(600):  # every stream has read once and waits (a loaded machine takes its time)
            if all(fetches):
                break
            await asyncio.sleep(0.05)
        polls = events.OUTBOX.polls
        sent = await sync_to_async(message)(code=SIMING, subject="共享轮询")
        bodies = await asyncio.gather(*streams)
        return sent, bodies, events.OUTBOX.polls - polls

    sent, bodies, polls = async_to_sync(run)()
    assert all(f"id: {sent.pk}\n".encode() in body for body in bodies)
    # One shared poll per interval for the whole process (or the publisher's own wake-up), not one per stream.
    assert polls < STREAMS
    # Each stream read on start, maybe once more on the first poll, and once for the new row.
    assert max(fetches) <= 3


@pytest.mark.postgis_only
@pytest.mark.django_db(transaction=True)
def test_postgres_notify_wakes_the_streams_without_polling():
    """With LISTEN on and polling made useless (an hour between polls), a committed message still reaches
    the stream: PostgreSQL's NOTIFY, sent by the insert's transaction, woke it."""
    from django.db import connections

    from citywatch.core import actions
    from citywatch.core.models import AdminArea

    # An earlier transactional test may have emptied the database: make what this one needs.
    city = AdminArea.objects.filter(code="350200").first()
    if city is None:
        city = actions.save_area(code="350200", name="厦门市", level="city")[0]
    user, _ = actions.save_user(
        username="listener", role="duty_officer", jurisdiction=city, must_change_password=False
    )
    got: dict = {}

    async def stream():
        fetch = functools.partial(events.poll, user, events.Cursor(0))
        body = b""
        async for chunk in events.async_stream(fetch, events.OUTBOX):
            body += chunk
            listener = events.Listener.start()
            got["listening"] = got.get("listening") or (listener is not None and listener.listening)
            if b"data: " in body:
                break
        await sync_to_async(connections.close_all)()
        return body

    def run_loop():
        got["body"] = asyncio.run(stream())

    with override_settings(
        CITYWATCH_EVENTS_LISTEN=True,
        CITYWATCH_EVENTS_POLL_SECONDS=3600,
        CITYWATCH_EVENTS_HEARTBEAT_SECONDS=3600,
        CITYWATCH_EVENTS_MAX_SECONDS=60,
    ):
        thread = threading.Thread(target=run_loop)
        thread.start()
        for _ in range(300):  # until the stream's process listens
            if got.get("listening"):
                break
            time.sleep(0.1)
        sent = message(code=None, subject="通知唤醒")
        thread.join(timeout=90)
    assert not thread.is_alive()
    assert f"id: {sent.pk}\n".encode() in got["body"]


SESSION = """
import django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from citywatch.core.models import User
user = User.objects.get(username="operator")
store = SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
print(store.session_key)
"""

PUBLISH = """
import django
django.setup()
from django.db import transaction
from citywatch.notify import publish
with transaction.atomic():
    print(publish("warning.issued", subject="并发流测试").pk)
"""


def _python(env, code):
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.skipif(
    os.environ.get("CITYWATCH_DATABASE_URL", "").startswith("postgis"),
    reason="the server runs on a SpatiaLite file of its own; the PostGIS run covers NOTIFY above",
)
def test_open_streams_hold_no_thread_each(tmp_path):
    """40 open /events/ streams on the production application (one uvicorn process): the process has
    far fewer threads than streams, and a message committed by another process reaches every one."""
    seeded = seeded_spatialite(tmp_path / "data", "a-long-test-password")
    env = {
        **os.environ,
        **seeded["env"],
        "PYTHONPATH": str(SRC),
        "DJANGO_SETTINGS_MODULE": "citywatch.settings",
        "CITYWATCH_EVENTS_POLL_SECONDS": "0.2",
    }
    session = _python(env, SESSION)
    streams = 40
    with uvicorn_server(tmp_path, seeded["env"] | {"CITYWATCH_EVENTS_POLL_SECONDS": "0.2"}) as server:
        sockets = []
        try:
            for _ in range(streams):
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
                head = f"GET /events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={session}\r\n\r\n"
                sock.sendall(head.encode())
                sockets.append(sock)
            for sock in sockets:  # every stream has started (its first read done)
                head = b""
                while b"connected" not in head:
                    block = sock.recv(4096)
                    assert block, head
                    head += block
                assert head.startswith(b"HTTP/1.1 200"), head[:200]
            threads = len(os.listdir(f"/proc/{server.process.pid}/task"))
            names = sorted(
                Path(f"/proc/{server.process.pid}/task/{t}/comm").read_text().strip()
                for t in os.listdir(f"/proc/{server.process.pid}/task")
            )
            assert threads < streams, f"{threads} threads for {streams} streams: {names}"
            sent = int(_python(env, PUBLISH))
            for sock in sockets:
                body = b""
                while f"id: {sent}\n".encode() not in body:
                    block = sock.recv(65536)
                    assert block, body[-300:]
                    body += block
                assert "并发流测试".encode() in body
        finally:
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.close()
