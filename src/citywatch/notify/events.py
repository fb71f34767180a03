"""Live notifications for browsers as Server-Sent Events at ``/events/``, and the machinery every live
stream shares (``/incidents/events`` too): ``async_stream``, ``sync_stream`` and ``Watch``.

Each outbox ``Message`` the user may see (the view permission, and ``area_path`` in their jurisdiction)
is sent once as ``id: <message id>`` and ``data: <JSON>`` — the same envelope the transports send
(``kind``, ``area``, ``hazard``, ``level``, ``exercise``, ``subject``, ``body``, ``payload``, ``object``…).
``?kinds=warning.*,alarm.opened`` keeps only those kinds (an entry ending in ``.*`` is a prefix). A
reconnecting EventSource resumes after ``Last-Event-ID`` (or ``?last=``); without it the stream starts
with the messages written from now on. A comment goes out every ``CITYWATCH_EVENTS_HEARTBEAT_SECONDS``;
the stream ends after ``CITYWATCH_EVENTS_MAX_SECONDS`` (the browser reconnects by itself).

Ids are given out before commit, so on PostgreSQL a message can become visible after a higher id has
been sent. The poller remembers such gaps for ``GAP_SECONDS`` and looks for them again on every poll, so
a late commit is still streamed (SQLite commits one writer at a time, in id order).

Waiting without a thread or a query per stream (``Watch``): under ASGI a stream is a coroutine that
reads the database only when its table may have new rows. On PostgreSQL every new row sends
``pg_notify(<channel>)`` in its own transaction (so at commit), and each server process keeps one
connection that LISTENs on every watched channel and wakes that channel's streams
(``CITYWATCH_EVENTS_LISTEN``; the test suite turns it off, its transactions never commit). Otherwise (or
while that connection is down) the streams of a process share one poll: whichever stream's wait runs
out first asks ``max(id)`` at most once per ``CITYWATCH_EVENTS_POLL_SECONDS`` for the whole process, and
a new id wakes every stream of the table. A woken stream runs its own query (what this user may see,
after its cursor). Under the production handler (``citywatch/serving.py``) those queries run on one
thread shared by every stream of the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import json
import logging
import time
import weakref
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_save
from django.http import StreamingHttpResponse

from citywatch.core import access
from citywatch.notify import queries
from citywatch.notify.models import Message

BATCH = 200
GAP_SECONDS = 30.0
MAX_GAPS = 1000
MAX_KIND_FILTERS = 20
logger = logging.getLogger(__name__)

HELLO = b"retry: 3000\n: connected\n\n"
HEARTBEAT = b": heartbeat\n\n"
KEEPALIVE = b":\n\n"


@dataclass
class Cursor:
    last: int
    kinds: tuple[str, ...] = ()
    gaps: dict[int, float] = field(default_factory=dict)  # id not seen yet → when it was first missed


def start_id(request) -> int:
    """Resume after ``Last-Event-ID`` (or ``?last=``); otherwise only messages written from now on."""
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last") or ""
    if raw.isdigit() and len(raw) < 19:
        return int(raw)
    return Message.objects.order_by("-id").values_list("id", flat=True).first() or 0


def kind_filters(request) -> tuple[str, ...]:
    raw = request.GET.get("kinds", "")[:2000]
    kinds = [k.strip() for k in raw.split(",") if k.strip()]
    return tuple(k for k in kinds if len(k) <= 64)[:MAX_KIND_FILTERS]


def poll(user, cursor: Cursor) -> list[dict]:
    """The envelopes of the messages after the cursor (and of earlier gaps now committed) that ``user``
    may see; advances the cursor."""
    now = time.monotonic()
    cursor.gaps = {i: t for i, t in cursor.gaps.items() if now - t < GAP_SECONDS}
    ids = list(Message.objects.filter(id__gt=cursor.last).order_by("id").values_list("id", flat=True)[:BATCH])
    found_gaps = (
        set(Message.objects.filter(id__in=list(cursor.gaps)).values_list("id", flat=True))
        if cursor.gaps
        else set()
    )
    for pk in found_gaps:
        cursor.gaps.pop(pk, None)
    if ids:
        expected = cursor.last + 1
        for pk in ids:
            for missing in range(expected, min(pk, expected + MAX_GAPS)):
                cursor.gaps.setdefault(missing, now)
            expected = pk + 1
        cursor.last = ids[-1]
        if len(cursor.gaps) > MAX_GAPS:
            cursor.gaps = dict(sorted(cursor.gaps.items())[-MAX_GAPS:])
    wanted = set(ids) | found_gaps
    if not wanted:
        return []
    rows = queries.messages_for(user).filter(id__in=wanted).order_by("id")
    return [m.envelope() for m in rows if queries.kind_matches(cursor.kinds, m.kind)]


# --- waiting for new rows: one LISTEN connection or one shared poll per process ---------------------


class _Hub:
    """What one event loop (one server process) knows of a watched table."""

    def __init__(self):
        self.event = asyncio.Event()
        self.seen: int | None = None
        self.checked_at = -float("inf")
        self.checking = False
        self.streams = 0


class Watch:
    """New rows of one table (``model``, ids increasing), watched once per process for all its streams.

    Writers: ``connect()`` (in the app's ``ready``) makes every new row announce itself on PostgreSQL
    (``pg_notify(channel)`` in the inserting transaction). Readers: ``signal()`` before reading, then
    ``await wait(signal, deadline)`` — True when new rows may be there, False at the deadline."""

    def __init__(self, model, channel: str):
        self.model = model
        self.channel = channel
        self.polls = 0  # shared polls run (tests count them)
        self._hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        WATCHES[channel] = self

    # writers
    def connect(self) -> None:
        post_save.connect(self._saved, sender=self.model, weak=False, dispatch_uid=f"watch-{self.channel}")

    def _saved(self, sender, instance, created=False, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
        if created and not getattr(instance, "_announced", False):  # (``publish_many`` announces once)
            announce(using, self.channel)

    # readers
    def hub(self) -> _Hub:
        loop = asyncio.get_running_loop()
        hub = self._hubs.get(loop)
        if hub is None:
            hub = self._hubs[loop] = _Hub()
        return hub

    def signal(self) -> asyncio.Event:
        return self.hub().event

    def wake(self) -> None:
        hub = self.hub()
        event, hub.event = hub.event, asyncio.Event()
        event.set()

    @contextlib.contextmanager
    def attached(self):
        hub = self.hub()
        hub.streams += 1
        try:
            yield hub
        finally:
            hub.streams -= 1

    def latest(self) -> int:
        return self.model.objects.order_by("-id").values_list("id", flat=True).first() or 0

    async def _poll(self) -> None:
        """The shared poll: at most one ``max(id)`` per poll interval for the whole process."""
        hub = self.hub()
        now = time.monotonic()
        if hub.checking or now - hub.checked_at < settings.CITYWATCH_EVENTS_POLL_SECONDS * 0.9:
            return
        hub.checking, hub.checked_at = True, now
        try:
            self.polls += 1
            latest = await sync_to_async(self.latest)()
        finally:
            hub.checking = False
        if latest != hub.seen:
            hub.seen = latest
            self.wake()

    async def wait(self, signal: asyncio.Event, deadline: float) -> bool:
        """Until new rows may be there (True) or ``deadline`` (``time.monotonic()``) passes (False)."""
        listener = Listener.start()
        while not signal.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            listening = listener is not None and listener.listening
            timeout = left if listening else min(left, settings.CITYWATCH_EVENTS_POLL_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wait(), timeout)
            if not signal.is_set() and not (listener is not None and listener.listening):
                await self._poll()
        return True


WATCHES: dict[str, Watch] = {}


def announce(using: str, channel: str) -> None:
    """Tell the LISTENing server processes that ``channel`` has a new row (PostgreSQL: delivered when the
    writing transaction commits, never if it rolls back)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [channel])


class Listener:
    """One PostgreSQL connection per event loop LISTENing on every watched channel; it wakes the
    channel's streams on each notification, and every stream when it (re)connects or drops (then the
    streams poll until it is back). It ends when the process has had no stream for a while."""

    RETRY_SECONDS = 5.0
    IDLE_SECONDS = 30.0
    _loops: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, loop):
        self.loop = loop
        self.listening = False
        self.task = None

    @classmethod
    def start(cls) -> Listener | None:
        if not settings.CITYWATCH_EVENTS_LISTEN or connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
            return None
        loop = asyncio.get_running_loop()
        listener = cls._loops.get(loop)
        if listener is None:
            listener = cls._loops[loop] = cls(loop)
        if listener.task is None or listener.task.done():
            # A context of its own: not the request's that happened to start it.
            listener.task = loop.create_task(listener.run(), context=contextvars.Context())
        return listener

    def _streams(self) -> int:
        return sum(watch.hub().streams for watch in WATCHES.values())

    def _wake_all(self) -> None:
        for watch in WATCHES.values():
            watch.wake()

    @staticmethod
    def _params() -> dict:
        params = connections[DEFAULT_DB_ALIAS].get_connection_params()
        for key in ("cursor_factory", "context", "prepare_threshold", "server_side_binding", "pool"):
            params.pop(key, None)
        return params

    async def run(self) -> None:
        import psycopg
        from psycopg import sql

        idle_since = None
        while True:
            try:
                connection = await psycopg.AsyncConnection.connect(**self._params(), autocommit=True)
                async with connection:
                    for channel in WATCHES:
                        await connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self.listening = True
                    self._wake_all()  # rows may have come while nobody listened
                    while True:
                        async for notice in connection.notifies(timeout=self.RETRY_SECONDS):
                            watch = WATCHES.get(notice.channel)
                            if watch is not None:
                                watch.wake()
                        if self._streams():
                            idle_since = None
                        elif idle_since is None:
                            idle_since = time.monotonic()
                        elif time.monotonic() - idle_since > self.IDLE_SECONDS:
                            return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database went away: poll, and try again later
                logger.warning("event listener lost its database connection", exc_info=True)
            finally:
                self.listening = False
                self._wake_all()
            await asyncio.sleep(self.RETRY_SECONDS)


def encode(event: dict) -> bytes:
    return f"id: {event['id']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n".encode()


def max_seconds() -> float:
    return settings.CITYWATCH_EVENTS_MAX_SECONDS


def sync_stream(fetch):
    """The WSGI stream (test client, threaded live server) of the events ``fetch()`` returns on each poll:
    a short comment before each poll, so that a closed connection ends the stream at the next write. The
    loop knows nothing of messages, so another stream (``/incidents/events``) can use it as it is."""
    start = last_beat = time.monotonic()
    yield HELLO
    first = True
    while time.monotonic() - start < max_seconds():
        if not first:
            time.sleep(settings.CITYWATCH_EVENTS_POLL_SECONDS)
            if time.monotonic() - last_beat >= settings.CITYWATCH_EVENTS_HEARTBEAT_SECONDS:
                last_beat = time.monotonic()
                yield HEARTBEAT
            else:
                yield KEEPALIVE
        first = False
        try:
            events = fetch()
        except Exception:  # noqa: BLE001 - the database went away (shutdown): end the stream quietly
            logger.warning("event stream ended by a database error", exc_info=True)
            return
        if events:
            yield b"".join(encode(event) for event in events)


async def async_stream(fetch, watch: Watch | None = None, pending=None):
    """The ASGI stream (uvicorn) of the events ``fetch()`` returns, read through ``sync_to_async``.

    With a ``watch`` it fetches only when the watched table may have new rows (and every poll interval
    while ``pending()`` says it is looking for late rows); without one, every poll interval."""
    start = last_beat = time.monotonic()
    yield HELLO
    fetch_async = sync_to_async(fetch)
    with contextlib.ExitStack() as stack:
        if watch is not None:
            stack.enter_context(watch.attached())
        woken = True
        while True:
            signal = watch.signal() if watch is not None else None
            if woken:
                for event in await fetch_async():
                    yield encode(event)
            now = time.monotonic()
            if now - start >= max_seconds():
                return
            if now - last_beat >= settings.CITYWATCH_EVENTS_HEARTBEAT_SECONDS:
                last_beat = now
                yield HEARTBEAT
            if watch is None:
                await asyncio.sleep(settings.CITYWATCH_EVENTS_POLL_SECONDS)
                continue
            deadline = min(start + max_seconds(), last_beat + settings.CITYWATCH_EVENTS_HEARTBEAT_SECONDS)
            if pending is not None and pending():
                deadline = min(deadline, now + settings.CITYWATCH_EVENTS_POLL_SECONDS)
                woken = True
                await watch.wait(signal, deadline)
            else:
                woken = await watch.wait(signal, deadline)


async def stream(request):
    user = await request.auser()
    if not user.is_authenticated:  # the login middleware redirects first; this is the fallback
        raise PermissionDenied
    if not await sync_to_async(access.can)(user, Message, "view"):
        raise PermissionDenied
    cursor = Cursor(await sync_to_async(start_id)(request), kind_filters(request))
    fetch = functools.partial(poll, user, cursor)
    if isinstance(request, ASGIRequest):
        body = async_stream(fetch, OUTBOX, pending=lambda: bool(cursor.gaps))
    else:
        body = sync_stream(fetch)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


OUTBOX = Watch(Message, "citywatch_outbox")
