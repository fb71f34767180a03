# No `from __future__ import annotations`: ninja must see the real parameter types.
"""Proposals: list, accept (start / upgrade / end, at the proposed level or another), dismiss."""

from django.http import HttpRequest
from ninja import Query, Router

from citywatch.core import access
from citywatch.core.pagination import PageParams, page, paged
from citywatch.response import actions, queries
from citywatch.response.api.schemas import AcceptIn, DismissIn, ResponseDetail, ResponseProposalOut
from citywatch.response.filters import ProposalFilter
from citywatch.response.models import Proposal, Response

router = Router(tags=["responses"])


@router.get("/proposals/", response=paged(ResponseProposalOut), summary="List response proposals")
def list_proposals(request: HttpRequest, filters: Query[ProposalFilter], paging: Query[PageParams]):
    access.require(request.user, Proposal, "view")
    return page(filters.filter(queries.proposals_for(request.user)), paging)


@router.get("/proposals/{int:pk}", response=ResponseProposalOut, summary="One proposal")
def get_proposal(request: HttpRequest, pk: int):
    return queries.proposal_for(request.user, pk)


@router.post("/proposals/{int:pk}/accept", response=ResponseDetail, summary="Carry a proposal out")
def accept(request: HttpRequest, pk: int, payload: AcceptIn):
    """Start the response (at the proposed level, or ``level``), upgrade it, or end it — a commander's
    decision: the same checks as starting or changing by hand."""
    proposal = queries.proposal_for(request.user, pk, "change")
    access.require(request.user, Response, "change")
    response = actions.act_on(request.user, proposal, payload.level, payload.reason, payload.version)
    return queries.response_for(request.user, response.pk)


@router.post("/proposals/{int:pk}/dismiss", response=ResponseProposalOut, summary="Dismiss a proposal")
def dismiss(request: HttpRequest, pk: int, payload: DismissIn):
    proposal = queries.proposal_for(request.user, pk, "change")
    return actions.dismiss(request.user, proposal, payload.note)
