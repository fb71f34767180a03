"""Live notifications for browsers as Server-Sent Events at ``/events/`` (modelled on
``incidents/events.py``, with the same settings, so both streams can later share one poller).

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
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
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


async def async_stream(fetch):
    """The ASGI stream (uvicorn) of the events ``fetch()`` returns, read through ``sync_to_async``."""
    start = last_beat = time.monotonic()
    yield HELLO
    fetch_async = sync_to_async(fetch)
    while time.monotonic() - start < max_seconds():
        for event in await fetch_async():
            yield encode(event)
        if time.monotonic() - last_beat >= settings.CITYWATCH_EVENTS_HEARTBEAT_SECONDS:
            last_beat = time.monotonic()
            yield HEARTBEAT
        await asyncio.sleep(settings.CITYWATCH_EVENTS_POLL_SECONDS)


async def stream(request):
    user = await request.auser()
    if not user.is_authenticated:  # the login middleware redirects first; this is the fallback
        raise PermissionDenied
    if not await sync_to_async(access.can)(user, Message, "view"):
        raise PermissionDenied
    cursor = Cursor(await sync_to_async(start_id)(request), kind_filters(request))
    fetch = functools.partial(poll, user, cursor)
    body = async_stream(fetch) if isinstance(request, ASGIRequest) else sync_stream(fetch)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
