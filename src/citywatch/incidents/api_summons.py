"""Expert summonses under /api/v1/incidents/{id}/summons (see ``citywatch.incidents.summons``).

Shaped like the dispatch endpoints: the incident must be in the caller's jurisdiction (404 otherwise),
summoning and moving need the expertsummons add/change permission (403), an expert outside the caller's
jurisdiction answers 404 and a busy or unavailable expert 409.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Schema
from ninja.responses import Status
from pydantic import Field

from citywatch.incidents import queries, summons
from citywatch.incidents.api import _iso, _need, router
from citywatch.incidents.models import ExpertSummons


def summons_out(s: ExpertSummons) -> dict[str, Any]:
    return {
        "id": s.pk,
        "incident": s.incident_id,
        "expert": {
            "id": s.expert_id,
            "name": s.expert.name,
            "availability": s.expert.availability,
            "category": s.expert.category.code,
        },
        "requested_by": s.requested_by.username if s.requested_by_id else None,
        "status": s.status,
        "eta_s": s.eta_s,
        "eta_method": s.eta_method,
        "note": s.note,
        "requested_at": _iso(s.requested_at),
        **{name: _iso(getattr(s, name)) for name in summons.SUMMONS_TIMESTAMP.values()},
        "allowed_actions": sorted(a for (state, a) in summons.SUMMONS_TRANSITIONS if state == s.status),
    }


def _summonses(user, pk: int, action: str = "view"):
    incident = queries.incident_for(user, pk)
    return (
        ExpertSummons.objects.restrict(user, action)
        .filter(incident=incident)
        .select_related("expert__category", "requested_by", "incident__area")
    )


def _summons(user, pk: int, sid: int, action: str = "view") -> ExpertSummons:
    found = _summonses(user, pk, action).filter(pk=sid).first()
    if found is None:
        raise Http404("no such summons")
    return found


@router.get("/incidents/{int:pk}/summons", response=list[dict[str, Any]], summary="Experts summoned")
def list_summons(request: HttpRequest, pk: int):
    return [summons_out(s) for s in _summonses(request.user, pk)]


class SummonsIn(Schema):
    expert: int = Field(ge=1, le=2**31 - 1)
    note: str = Field("", max_length=200)


@router.post("/incidents/{int:pk}/summons", response={201: dict[str, Any]}, summary="Summon an expert")
def create_summons(request: HttpRequest, pk: int, payload: SummonsIn):
    """The expert must be available and in your jurisdiction (404 otherwise; experts at the city level,
    including those shared from neighbouring cities, only for city-level users); a busy or unavailable
    expert answers 409. The expert becomes busy at once."""
    queries.incident_for(request.user, pk)
    _need(request.user, ExpertSummons, "add")
    incident = queries.incident_for(request.user, pk, "change")
    created = summons.summon_expert(incident, payload.expert, request.user, payload.note)
    return Status(201, summons_out(_summons(request.user, pk, created.pk)))


class SummonsMoveIn(Schema):
    action: str = Field(max_length=32)
    note: str = Field("", max_length=200)


@router.post(
    "/incidents/{int:pk}/summons/{int:sid}/transitions",
    response=dict[str, Any],
    summary="Move a summons on",
)
def move_summons(request: HttpRequest, pk: int, sid: int, payload: SummonsMoveIn):
    """accept / decline (from requested), depart, arrive, release. The expert's availability follows."""
    _summons(request.user, pk, sid)
    _need(request.user, ExpertSummons, "change")
    found = _summons(request.user, pk, sid, "change")
    summons.summons_transition(found, payload.action, request.user, payload.note)
    return summons_out(_summons(request.user, pk, sid))
