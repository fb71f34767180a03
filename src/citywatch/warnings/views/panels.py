"""The warnings panel of the duty screen (``core/panels.py``): open proposals, drafts awaiting approval
and the warnings in force of the user's jurisdiction, refreshed live on every ``warning.*`` message."""

from __future__ import annotations

from citywatch.core import access, panels
from citywatch.warnings import queries
from citywatch.warnings.models import Proposal, Warning

SHOWN = 12


def overview_panel(request) -> dict | None:
    user = request.user
    if not access.can(user, Warning, "view"):
        return None
    can_proposals = access.can(user, Proposal, "view")
    return {
        "proposals": (
            queries.with_pending_drafts(user, list(queries.proposals_for(user)[:SHOWN]))
            if can_proposals
            else []
        ),
        "awaiting": list(queries.awaiting_approval_for(user)[:SHOWN]),
        "in_force": list(queries.in_force_for(user).order_by("-issued_at")[:SHOWN]),
        "can_draft": access.can(user, Proposal, "change") and access.can(user, Warning, "add"),
    }


def register() -> None:
    panels.register(
        panels.Panel(
            name="warnings.overview",
            template="warnings/panels/overview.html",
            context=overview_panel,
            order=5,
            live=("warning.*",),
            permission="warnings.view_warning",
            stylesheet="citywatch/css/warnings.css",
        )
    )
