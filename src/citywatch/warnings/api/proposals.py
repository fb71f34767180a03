"""Proposals: the warning signals computed from the monitoring data, for a person to issue."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status

from citywatch.core import access
from citywatch.core.pagination import PageParams, page, paged
from citywatch.warnings import actions, queries
from citywatch.warnings.api.schemas import (
    WarningDetail,
    WarningDraftFromProposalIn,
    WarningProposalDismissIn,
    WarningProposalOut,
)
from citywatch.warnings.api.warnings import detail
from citywatch.warnings.filters import WarningProposalFilter
from citywatch.warnings.models import Proposal, Warning

router = Router(tags=["warnings"])


@router.get("/warnings/proposals", response=paged(WarningProposalOut), summary="Open proposals")
def list_proposals(request: HttpRequest, filters: Query[WarningProposalFilter], paging: Query[PageParams]):
    """Per hazard and area, the level DOMAIN.md §3.1's rules reach now from the newest readings and the
    readings that triggered it, while it is above anything issued from it."""
    access.require(request.user, Proposal, "view")
    return page(filters.filter(queries.proposals_for(request.user)), paging)


@router.get("/warnings/proposals/{int:pk}", response=WarningProposalOut, summary="One proposal")
def get_proposal(request: HttpRequest, pk: int):
    return queries.proposal_for(request.user, pk)


@router.post(
    "/warnings/proposals/{int:pk}/draft", response={201: WarningDetail}, summary="Draft a warning from it"
)
def draft_from_proposal(request: HttpRequest, pk: int, payload: WarningDraftFromProposalIn):
    """A draft at the proposal's level for its area, with the default guidance; issue or submit it next."""
    proposal = queries.proposal_for(request.user, pk, "change")
    access.require(request.user, Warning, "add")
    warning = actions.draft_from_proposal(request.user, proposal, expires=payload.expires)
    return Status(201, detail(request.user, warning.pk))


@router.post(
    "/warnings/proposals/{int:pk}/dismiss", response=WarningProposalOut, summary="Dismiss a proposal"
)
def dismiss_proposal(request: HttpRequest, pk: int, payload: WarningProposalDismissIn):
    """A person's "no", with a reason: not proposed again for the same hazard and area at that level, and
    proposed again when the signal rises above it. Who may draft a warning from it may dismiss it."""
    proposal = queries.proposal_for(request.user, pk, "change")
    access.require(request.user, Warning, "add")
    return actions.dismiss_proposal(request.user, proposal, payload.reason)
