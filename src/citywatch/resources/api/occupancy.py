# No `from __future__ import annotations`: ninja must see the real parameter types.
"""Shelter occupancy: ``POST``/``GET /api/v1/resources/shelters/{pk}/occupancy``."""

from django.http import HttpRequest

from citywatch.resources import actions, queries
from citywatch.resources.api.router import router
from citywatch.resources.api.schemas import RECORD_OUT, OccupancyIn, OccupancyOut
from citywatch.resources.kinds import KINDS

SHELTERS = KINDS["shelters"]
HISTORY = 500


@router.post(
    "/resources/shelters/{int:pk}/occupancy", response=RECORD_OUT["shelters"], summary="Report occupancy"
)
def report_occupancy(request: HttpRequest, pk: int, payload: OccupancyIn):
    """The shelter's current occupancy (and status: full at capacity unless another is given); the
    history keeps every report."""
    shelter = queries.record_for(SHELTERS, request.user, pk, "change")
    actions.set_shelter_occupancy(shelter, payload.occupancy, payload.status)
    return queries.record_for(SHELTERS, request.user, pk)


@router.get(
    "/resources/shelters/{int:pk}/occupancy", response=list[OccupancyOut], summary="Occupancy history"
)
def occupancy_history(request: HttpRequest, pk: int):
    """The latest reports first (at most 500)."""
    shelter = queries.record_for(SHELTERS, request.user, pk)
    return shelter.occupancy_history.all()[:HISTORY]
