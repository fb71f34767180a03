"""Live updates of incident command as Server-Sent Events at ``/incidents/events``.

The stream polls the incident log (append-only, ids increasing) about once a second and sends one event
per new entry the user may see, as JSON: ``{"type": "incident" | "status" | "dispatch" | "log",
"incident": <id>, …}`` with the SSE ``id`` set to the log entry's id, so a reconnecting EventSource resumes
after the last entry it saw (``Last-Event-ID``). A comment line goes out every 15 seconds as a heartbeat.

Jurisdiction: users who may view the incident log get the entries of the incidents they may see; team
leaders (who may not) get only the dispatch events of dispatches they may see, without the log text.

Under ASGI (uvicorn) the view streams from an async generator (database reads through
``sync_to_async``); under WSGI (the threaded test live server, the test client) from a plain generator.
Either stream ends after ``MAX_SECONDS`` (the browser reconnects by itself) or when the client goes away.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse

from citywatch.incidents import queries
from citywatch.incidents.choices import Category, IncidentType, LogKind, Severity
from citywatch.incidents.models import Incident, IncidentLog

BATCH = 200
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


def _incident_summary(incident: Incident) -> dict:
    return {
        "id": incident.pk,
        "title": incident.title,
        "status": incident.status,
        "severity": incident.severity,
        "severity_label": str(dict(Severity.choices).get(incident.severity, incident.severity)),
        "category": incident.category,
        "category_label": str(dict(Category.choices).get(incident.category, incident.category)),
        "type": incident.type,
        "type_label": str(dict(IncidentType.choices).get(incident.type, incident.type)),
        "exercise": incident.exercise,
        "area": incident.area.name,
        "reported_at": incident.reported_at.isoformat(),
        "version": incident.version,
    }


def _dispatch(d, data: dict) -> dict:
    from citywatch.incidents.actions import DISPATCH_TRANSITIONS
    from citywatch.incidents.api import dispatch_out

    out = dispatch_out(d)
    status = data.get("to") or out["status"]
    out["status"] = status
    out["allowed_actions"] = sorted(a for (s, a) in DISPATCH_TRANSITIONS if s == status)
    out["incident_title"] = d.incident.title
    out["incident_area"] = d.incident.area.name
    out["exercise"] = d.incident.exercise
    return out


def poll(user, cursor: int) -> tuple[int, list[dict]]:
    """Events for the log entries after ``cursor`` that ``user`` may see, and the new cursor."""
    from citywatch.incidents.actions import TRANSITIONS
    from citywatch.incidents.api import log_out

    ids = list(IncidentLog.objects.filter(id__gt=cursor).order_by("id").values_list("id", flat=True)[:BATCH])
    if not ids:
        return cursor, []
    top = ids[-1]
    sees_log = user.has_perm("incidents.view_incidentlog")
    entries = IncidentLog.objects.filter(id__gt=cursor, id__lte=top)
    if sees_log:
        entries = IncidentLog.objects.restrict(user, "view").filter(id__gt=cursor, id__lte=top)
    else:
        entries = entries.filter(kind=LogKind.DISPATCH)
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
                event["dispatch"] = _dispatch(d, data)
        elif e.kind == LogKind.STATUS and data.get("action") == "report":
            event["type"] = "incident"
            event["summary"] = _incident_summary(e.incident)
        elif e.kind == LogKind.STATUS and data.get("to"):
            event["type"] = "status"
            event["status"] = data["to"]
            event["allowed_actions"] = sorted(a for (s, a) in TRANSITIONS if s == data["to"])
        if isinstance(data.get("version"), int):
            event["version"] = data["version"]
        if sees_log:
            event["log"] = log_out(e)
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


async def async_stream(user, cursor: int):
    start = last_beat = time.monotonic()
    yield HELLO
    fetch = sync_to_async(poll)
    while time.monotonic() - start < max_seconds():
        cursor, events = await fetch(user, cursor)
        for event in events:
            yield encode(event)
        if time.monotonic() - last_beat >= heartbeat_seconds():
            last_beat = time.monotonic()
            yield HEARTBEAT
        await asyncio.sleep(poll_seconds())


def _allowed(user) -> bool:
    return user.has_perm("incidents.view_incidentlog") or user.has_perm("incidents.view_dispatch")


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
