"""Supply requests of an incident and the depots that can give an item. A quantity larger than a depot
can still give answers 409 and writes nothing; shipping goes through the stock ledger."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from citywatch.incidents import actions, queries
from citywatch.incidents.api.schemas import (
    SourcesIn,
    SupplyIn,
    SupplyMoveIn,
    SupplyRequestOut,
    SupplySourcesOut,
)
from citywatch.incidents.models import SupplyRequest

router = Router(tags=["supplies"])


@router.get("/incidents/{int:pk}/supply-requests", response=list[SupplyRequestOut], summary="Supply requests")
def list_supply(request: HttpRequest, pk: int):
    return queries.records_of(request.user, pk, SupplyRequest)


@router.get(
    "/incidents/{int:pk}/supply-sources", response=SupplySourcesOut, summary="Depots that can give an item"
)
def supply_sources(request: HttpRequest, pk: int, params: Query[SourcesIn]):
    """The depots in your jurisdiction that can still give ``item`` (balance less what approved requests
    have yet to ship) — at least ``quantity`` of it if given —, nearest to the incident by travel time
    first; depots without a location last. Needs the right to see stock (403)."""
    incident = queries.incident_for(request.user, pk)
    return queries.supply_sources(request.user, incident, params.item, params.quantity, params.limit)


@router.post(
    "/incidents/{int:pk}/supply-requests", response={201: SupplyRequestOut}, summary="Request supplies"
)
def create_supply(request: HttpRequest, pk: int, payload: SupplyIn):
    """A quantity larger than the depot can still give answers 409 and writes nothing (see
    ``supply-sources`` for what each depot can give)."""
    incident = queries.incident_for(request.user, pk, adding=SupplyRequest)
    created = actions.request_supply(
        incident, request.user, payload.depot, payload.item, payload.quantity, payload.note
    )
    return Status(201, created)


@router.post(
    "/incidents/{int:pk}/supply-requests/{int:sid}/transitions",
    response=SupplyRequestOut,
    summary="Approve, ship (partly), receive, reject or cancel a supply request",
)
def move_supply(request: HttpRequest, pk: int, sid: int, payload: SupplyMoveIn):
    supply = queries.record_of(request.user, pk, SupplyRequest, "change", pk=sid)
    return actions.supply_transition(supply, payload.action, request.user, payload.quantity, payload.note)
