"""Read paths of plans and responses. Every list starts from ``restrict(user, action)``; fetch-and-check
is ``core.access.get_for`` (404 outside the jurisdiction, 403 when the role may not)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from citywatch.core import access
from citywatch.response.choices import ActionStatus, ResponseProposalStatus, ResponseStatus
from citywatch.response.models import (
    ChecklistAction,
    Plan,
    PlanRevision,
    Proposal,
    Response,
    ResponseEvent,
)


def plans_for(user, action: str = "view"):
    return Plan.objects.restrict(user, action).select_related("area", "current")


def plan_for(user, pk: int, action: str = "view") -> Plan:
    return access.get_for(user, plans_for(user), action, pk=pk)


def revision_of(user, plan: Plan, number: int) -> PlanRevision:
    return access.get_for(user, PlanRevision.objects.select_related("plan__area"), plan=plan, number=number)


def levels_of(revision: PlanRevision):
    """The revision's levels, lowest (Ⅳ) first, each with its actions in order."""
    return list(revision.levels.prefetch_related("actions__organisation").order_by("-level"))


def responses_for(user, action: str = "view"):
    return Response.objects.restrict(user, action).select_related("area", "plan", "revision", "started_by")


def response_for(user, pk: int, action: str = "view") -> Response:
    return access.get_for(user, responses_for(user), action, pk=pk)


def actions_of(response: Response):
    return response.actions.select_related("organisation", "done_by").order_by("deadline", "position", "id")


def action_for(user, pk: int, action: str = "view") -> ChecklistAction:
    qs = ChecklistAction.objects.restrict(user, "view").select_related("response__area", "organisation")
    return access.get_for(user, qs, action, pk=pk)


def timeline(response: Response):
    return ResponseEvent.objects.filter(response=response).select_related("author").order_by("time", "id")


def proposals_for(user, action: str = "view"):
    return Proposal.objects.restrict(user, action).select_related("area", "plan", "response", "message")


def proposal_for(user, pk: int, action: str = "view") -> Proposal:
    return access.get_for(user, proposals_for(user), action, pk=pk)


def open_proposals(user):
    return proposals_for(user).filter(status=ResponseProposalStatus.OPEN).order_by("-created_at", "-id")


def causes(response: Response):
    """The warning events whose proposals this response carried out (start, upgrades, end)."""
    return (
        Proposal.objects.filter(
            response=response, status=ResponseProposalStatus.ACCEPTED, message__isnull=False
        )
        .select_related("message")
        .order_by("created_at", "id")
    )


def incidents_of(user, response: Response):
    """The incidents reported in the response's area while it ran (a drill's: the exercise incidents),
    among those the user may see."""
    from citywatch.incidents.queries import incidents_for

    qs = incidents_for(user).filter(
        area__path__startswith=response.area.path,
        reported_at__gte=response.started_at,
        exercise=response.exercise,
    )
    if response.ended_at:
        qs = qs.filter(reported_at__lte=response.ended_at)
    return qs.order_by("-reported_at")


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    open: int
    overdue: int
    withdrawn: int

    @property
    def percent(self) -> int:
        counted = self.total - self.withdrawn
        return round(100 * self.done / counted) if counted else 0


def progress(response: Response, now=None) -> Progress:
    now = now or timezone.now()
    counts = response.actions.aggregate(
        total=Count("id"),
        done=Count("id", filter=Q(status=ActionStatus.DONE)),
        open=Count("id", filter=Q(status=ActionStatus.OPEN)),
        overdue=Count("id", filter=Q(status=ActionStatus.OPEN, deadline__lt=now)),
        withdrawn=Count("id", filter=Q(status=ActionStatus.WITHDRAWN)),
    )
    return Progress(**counts)


def overdue_actions(user, now=None):
    """Open actions of running responses past their deadline (the duty screen), oldest deadline first."""
    now = now or timezone.now()
    return (
        ChecklistAction.objects.restrict(user, "view")
        .filter(status=ActionStatus.OPEN, deadline__lt=now, response__status=ResponseStatus.ACTIVE)
        .select_related("response__area", "organisation")
        .order_by("deadline", "id")
    )


def active_responses(user):
    return responses_for(user).filter(status=ResponseStatus.ACTIVE).order_by("-started_at")
