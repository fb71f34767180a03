"""The incident log: read it (a page at a time, oldest first) and add a note."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from citywatch.core.pagination import PageParams, page, paged
from citywatch.incidents import actions, queries
from citywatch.incidents.api.schemas import LogOut, NoteIn
from citywatch.incidents.models import IncidentLog

router = Router(tags=["incident log"])


@router.get("/incidents/{int:pk}/log", response=paged(LogOut), summary="The incident log")
def get_log(request: HttpRequest, pk: int, paging: Query[PageParams]):
    """Every entry, oldest first: status changes, orders, supplies, command, reports, notes. Append-only."""
    return page(queries.records_of(request.user, pk, IncidentLog), paging)


@router.post("/incidents/{int:pk}/log", response={201: LogOut}, summary="Add a note to the log")
def post_note(request: HttpRequest, pk: int, payload: NoteIn):
    incident = queries.incident_for(request.user, pk, adding=IncidentLog)
    return Status(201, actions.add_note(incident, request.user, payload.text))
