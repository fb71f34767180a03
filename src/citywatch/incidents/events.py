"""Live updates of incident command as Server-Sent Events at ``/incidents/events``.

The stream polls the incident log (append-only, ids increasing) about once a second and sends one event
per new entry the user may see, as JSON: ``{"type": "incident" | "status" | "edit" | "dispatch" | "log",
"incident": <id>, …}``, the records in it serialised by the API's schemas (``LogOut``,
``DispatchEventOut``, ``IncidentSummaryOut``), with the SSE ``id`` set to the log entry's id, so a
reconnecting EventSource resumes after the last entry it saw (``Last-Event-ID``). A comment line goes
out every 15 seconds as a heartbeat. An ``"edit"`` event names the fields changed (``"fields"``); the
one-map then reads the incident anew and redraws its header (and its rings and ranked list when the
location or type changed).

Jurisdiction: users who may view the incident log get the entries of the incidents they may see; team
leaders (who may not) get only the dispatch events of dispatches they may see and the edit events of
those dispatches' incidents, without the log text.

Under ASGI (uvicorn) the view streams from an async generator (``notify.events.async_stream``) that
reads the log only when it may have new rows (``LOG``, a ``notify.events.Watch``: PostgreSQL
LISTEN/NOTIFY, or one poll per process shared by every stream); under WSGI (the threaded test live
server, the test client) from a plain generator. Either stream ends after ``MAX_SECONDS`` (the browser
reconnects by itself) or when the client goes away.
"""

from __future__ import annotations

import json
import logging
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Q
from django.http import StreamingHttpResponse

from citywatch.core import access
from citywatch.incidents import actions, queries
from citywatch.incidents.api.schemas import DispatchEventOut, IncidentSummaryOut, LogOut
from citywatch.incidents.choices import DispatchStatus, LogKind
from citywatch.incidents.models import Dispatch, IncidentLog
from citywatch.notify import events as live

BATCH = 200
EDITS = (LogKind.EDIT, LogKind.SEVERITY)
logger = logging.getLogger(__name__)


def poll_seconds() -> float:
    return settings.CITYWATCH_EVENTS_POLL_SECONDS


def heartbeat_seconds() -> float:
    return settings.CITYWATCH_EVENTS_HEARTBEAT_SECONDS


def max_seconds() -> float:
    return settings.CITYWATCH_EVENTS_MAX_SECONDS


def start_cursor(request) -> int:
    """Resume after ``Last-Event-ID`` (or ``?last=``); otherwise only entries written from now on."""
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last") or ""
    if raw.isdigit() and len(raw) < 19:
        return int(raw)
    return IncidentLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _dispatch_event(dispatch: Dispatch, data: dict) -> dict:
    """The dispatch as the answers show it, with its status as of the log entry (a later step may
    already have moved it)."""
    out = DispatchEventOut.from_orm(dispatch)
    status = data.get("to")
    if status in DispatchStatus.values:
        out = out.model_copy(
            update={
                "status": DispatchStatus(status),
                "allowed_actions": actions.DISPATCH.lifecycle.allowed(status),
            }
        )
    return out.model_dump(mode="json")


def poll(user, cursor: int) -> tuple[int, list[dict]]:
    """Events for the log entries after ``cursor`` that ``user`` may see, and the new cursor."""
    ids = list(IncidentLog.objects.filter(id__gt=cursor).order_by("id").values_list("id", flat=True)[:BATCH])
    if not ids:
        return cursor, []
    top = ids[-1]
    sees_log = access.can(user, IncidentLog, "view")
    if sees_log:
        entries = IncidentLog.objects.restrict(user, "view").filter(id__gt=cursor, id__lte=top)
    else:
        # Team leaders: their orders' steps, and that an incident they have an order for was edited (so
        # the order card shows its severity and facts as they are), without the log's text.
        ordered = queries.dispatches_for(user).values("incident_id")
        entries = IncidentLog.objects.filter(id__gt=cursor, id__lte=top).filter(
            Q(kind=LogKind.DISPATCH) | Q(kind__in=EDITS, incident_id__in=ordered)
        )
    entries = list(entries.select_related("author", "incident__area").order_by("id"))
    dispatch_ids = {e.data.get("dispatch") for e in entries if e.kind == LogKind.DISPATCH}
    dispatch_ids = {i for i in dispatch_ids if isinstance(i, int)}
    dispatches = (
        {d.pk: d for d in queries.dispatches_for(user).filter(pk__in=dispatch_ids)} if dispatch_ids else {}
    )
    events = []
    for e in entries:
        data = e.data if isinstance(e.data, dict) else {}
        event: dict = {"id": e.pk, "incident": e.incident_id, "type": "log"}
        if e.kind == LogKind.DISPATCH:
            d = dispatches.get(data.get("dispatch"))
            if d is None:
                if not sees_log:
                    continue
            else:
                event["type"] = "dispatch"
                event["dispatch"] = _dispatch_event(d, data)
        elif e.kind == LogKind.STATUS and data.get("action") == "report":
            event["type"] = "incident"
            event["summary"] = IncidentSummaryOut.from_orm(e.incident).model_dump(mode="json")
        elif e.kind == LogKind.STATUS and data.get("to"):
            event["type"] = "status"
            event["status"] = data["to"]
            event["allowed_actions"] = actions.LIFECYCLE.allowed(data["to"])
        elif e.kind in EDITS:
            # The incident's fields changed: open one-maps read it anew (``GET /incidents/{id}``).
            event["type"] = "edit"
            event["fields"] = ["severity"] if e.kind == LogKind.SEVERITY else list(data.get("fields") or [])
        if isinstance(data.get("version"), int):
            event["version"] = data["version"]
        if sees_log:
            event["log"] = LogOut.from_orm(e).model_dump(mode="json")
        events.append(event)
    return top, events


def encode(event: dict) -> bytes:
    return f"id: {event['id']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n".encode()


HELLO = b"retry: 3000\n: connected\n\n"
HEARTBEAT = b": heartbeat\n\n"
KEEPALIVE = b":\n\n"


def sync_stream(user, cursor: int):
    """The WSGI stream. A WSGI server learns that the client went away only when a write fails, so each
    poll starts with a one-byte-ish comment: a closed EventSource ends the stream within a poll, before
    the next database read."""
    start = last_beat = time.monotonic()
    yield HELLO
    first = True
    while time.monotonic() - start < max_seconds():
        if not first:
            time.sleep(poll_seconds())
            if time.monotonic() - last_beat >= heartbeat_seconds():
                last_beat = time.monotonic()
                yield HEARTBEAT
            else:
                yield KEEPALIVE
        first = False
        try:
            cursor, events = poll(user, cursor)
        except Exception:  # noqa: BLE001 - the database went away (shutdown): end the stream quietly
            logger.warning("incident event stream ended by a database error", exc_info=True)
            return
        if events:
            yield b"".join(encode(event) for event in events)


LOG = live.Watch(IncidentLog, "citywatch_incident_log")


def async_stream(user, cursor: int):
    state = {"cursor": cursor}

    def fetch() -> list[dict]:
        state["cursor"], events = poll(user, state["cursor"])
        return events

    return live.async_stream(fetch, LOG)


def _allowed(user) -> bool:
    return access.can(user, IncidentLog, "view") or access.can(user, Dispatch, "view")


async def stream(request):
    user = await request.auser()
    if not user.is_authenticated:  # the login middleware redirects first; this is the fallback
        raise PermissionDenied
    if not await sync_to_async(_allowed)(user):
        raise PermissionDenied
    cursor = await sync_to_async(start_cursor)(request)
    asgi = isinstance(request, ASGIRequest)
    body = async_stream(user, cursor) if asgi else sync_stream(user, cursor)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
