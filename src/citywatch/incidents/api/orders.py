"""Response orders: rescue teams dispatched and experts summoned, and their steps (accept / decline from
requested, depart, arrive, release). Team leaders see the dispatches of incidents they may not read and
answer the orders assigned to them (accept, decline, depart, arrive, complete) and send field reports from
the scene; the command releases."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from citywatch.incidents import actions, queries
from citywatch.incidents.api.schemas import (
    DispatchIn,
    DispatchOut,
    FieldReportIn,
    OrderHistoryOut,
    OrderMoveIn,
    SummonsIn,
    SummonsOut,
)
from citywatch.incidents.models import Dispatch, ExpertSummons

router = Router(tags=["response orders"])


@router.get("/incidents/{int:pk}/dispatches", response=list[DispatchOut], summary="Teams dispatched")
def list_dispatches(request: HttpRequest, pk: int):
    return queries.incident_dispatches(request.user, pk)


@router.post("/incidents/{int:pk}/dispatches", response={201: DispatchOut}, summary="Dispatch a team")
def create_dispatch(request: HttpRequest, pk: int, payload: DispatchIn):
    """The team must be available and in your jurisdiction (404 otherwise); a deployed or unavailable
    team answers 409. The team becomes deployed at once. ``assigned_to``: the team leader who answers the
    order (someone whose jurisdiction covers the incident)."""
    incident = queries.incident_for(request.user, pk, adding=Dispatch)
    leader = queries.person(payload.assigned_to, incident)
    return Status(201, actions.request_dispatch(incident, payload.team, request.user, leader, payload.note))


@router.post(
    "/incidents/{int:pk}/dispatches/{int:did}/transitions", response=DispatchOut, summary="Move a dispatch on"
)
def move_dispatch(request: HttpRequest, pk: int, did: int, payload: OrderMoveIn):
    """The assigned team leader answers the order (accept, decline, depart, arrive); the command
    releases. The team's status follows."""
    dispatch = queries.dispatch_for(request.user, pk, did, "change")
    return actions.dispatch_transition(dispatch, payload.action, request.user, payload.note)


@router.post(
    "/incidents/{int:pk}/dispatches/{int:did}/reports",
    response={201: OrderHistoryOut},
    summary="Send a field report",
)
def post_field_report(request: HttpRequest, pk: int, did: int, payload: FieldReportIn):
    """The team leader who received the order reports from the scene (on scene or completed; else 409):
    a short text and, optionally, people rescued and evacuated. It goes to the incident's log and the
    live streams; anyone else answers 403."""
    dispatch = queries.dispatch_for(request.user, pk, did, "change")
    entry = actions.dispatch_field_report(
        dispatch, request.user, payload.text, payload.rescued, payload.evacuated
    )
    return Status(201, entry)


@router.get(
    "/incidents/{int:pk}/dispatches/{int:did}/history",
    response=list[OrderHistoryOut],
    summary="A dispatch order's history",
)
def dispatch_history(request: HttpRequest, pk: int, did: int):
    """The order's steps and field reports, oldest first, as the incident log recorded them (the team
    leader sees the history of the orders they see)."""
    return queries.dispatch_history(request.user, pk, did)


@router.get("/incidents/{int:pk}/summons", response=list[SummonsOut], summary="Experts summoned")
def list_summons(request: HttpRequest, pk: int):
    return queries.records_of(request.user, pk, ExpertSummons)


@router.post("/incidents/{int:pk}/summons", response={201: SummonsOut}, summary="Summon an expert")
def create_summons(request: HttpRequest, pk: int, payload: SummonsIn):
    """The expert must be available and in your jurisdiction (404 otherwise; experts at the city level,
    including those shared from neighbouring cities, only for city-level users); a busy or unavailable
    expert answers 409. The expert becomes busy at once."""
    incident = queries.incident_for(request.user, pk, adding=ExpertSummons)
    return Status(201, actions.summon_expert(incident, payload.expert, request.user, payload.note))


@router.post(
    "/incidents/{int:pk}/summons/{int:sid}/transitions", response=SummonsOut, summary="Move a summons on"
)
def move_summons(request: HttpRequest, pk: int, sid: int, payload: OrderMoveIn):
    """The expert's availability follows."""
    summons = queries.record_of(request.user, pk, ExpertSummons, "change", pk=sid)
    return actions.summons_transition(summons, payload.action, request.user, payload.note)
