"""Proposals by the plan's rule (DOMAIN.md §3.2, as configuration on each plan): a warning event proposes
starting a response, upgrading the running one, or ending it. The system proposes; a commander acts.

``rule_proposal`` is the rule itself — a pure function of the plan's rule and levels, the warning's event
and colour, and the level of the running response — tested exhaustively. ``consider`` applies it to a
warning event (an outbox message ``warning.issued`` / ``warning.updated`` / ``warning.lifted``, seen in the
transaction that writes it: a notify reaction registered in ``apps.py``), so a proposal exists exactly
when the warning does. A
proposal writes no notification of its own: it rides on the warning event (pages follow ``warning.*``),
so every warning event stays the last outbox row its action writes.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch.core import inputs
from citywatch.core.errors import Conflict
from citywatch.incidents.actions import log_text
from citywatch.response.choices import (
    PROPOSAL_TEXT,
    ROMAN,
    RULE_OFFSET,
    EventKind,
    ProposalKind,
    ResponseProposalStatus,
    ResponseStatus,
    hazard_label,
    higher,
)
from citywatch.response.models import Plan, Proposal, Response, ResponseEvent

WARNING_LEVEL = {"blue": 4, "yellow": 3, "orange": 2, "red": 1}  # the colour's number (Ⅳ … Ⅰ)
RAISING = ("warning.issued", "warning.updated")
LIFTING = ("warning.lifted", "warning.cancelled", "warning.expired")
WARNING_KINDS = RAISING + LIFTING


def rule_proposal(
    rule: str, plan_levels, event: str, warning_colour: str, running_level: str | None
) -> tuple[str, str] | None:
    """(kind, level) proposed, or None.

    - raising event (issued/updated): the response level is the warning's number plus the rule's offset
      (same: +0, one below: +1; beyond Ⅳ nothing); a level the plan lacks proposes nothing. No running
      response → start at that level; a running one below it → upgrade to it; at it or above → nothing
      (the system never proposes a downgrade: the commander judges).
    - lifting event (lifted/cancelled/expired): a running response → end; none → nothing.
    """
    if event in LIFTING:
        return (ProposalKind.END, running_level) if running_level else None
    if event not in RAISING or rule not in RULE_OFFSET:
        return None
    number = WARNING_LEVEL.get(warning_colour)
    if number is None:
        return None
    number += RULE_OFFSET[rule]
    if number > 4:
        return None
    level = str(number)
    if level not in set(plan_levels):
        return None
    if running_level is None:
        return ProposalKind.START, level
    if higher(level, running_level):
        return ProposalKind.UPGRADE, level
    return None


def plan_for(hazard: str, area) -> Plan | None:
    """The plan of ``hazard`` nearest ``area``: its own, else the nearest one above it."""
    plans = [
        p
        for p in Plan.objects.filter(hazard=hazard, current__isnull=False).select_related("area")
        if area.path.startswith(p.area.path)
    ]
    return max(plans, key=lambda p: len(p.area.path), default=None)


def consider(message) -> Proposal | None:
    """The proposal a warning event makes (inside its transaction), superseding the open proposals for
    the same hazard, area and kind (real or exercise)."""
    if message.kind not in WARNING_KINDS or not message.hazard or message.area_id is None:
        return None
    area = message.area
    plan = plan_for(message.hazard, area)
    if plan is None:
        return None
    running = Response.objects.filter(
        hazard=message.hazard, area=area, exercise=message.exercise, status=ResponseStatus.ACTIVE
    ).first()
    levels = list(plan.current.levels.values_list("level", flat=True))
    if message.kind in LIFTING and message.content_type_id:
        # The warning is no longer in force: what it proposed (start, upgrade) and nobody took up lapses,
        # so the duty screen offers no response for a warning that was lifted.
        Proposal.objects.filter(
            message__content_type_id=message.content_type_id,
            message__object_id=message.object_id,
            exercise=message.exercise,
            status=ResponseProposalStatus.OPEN,
        ).exclude(kind=ProposalKind.END).update(
            status=ResponseProposalStatus.SUPERSEDED, decided_at=timezone.now()
        )
    found = rule_proposal(plan.rule, levels, message.kind, message.level, running.level if running else None)
    if found is None:
        return None
    kind, level = found
    if (
        message.content_type_id
        and Proposal.objects.filter(
            message__content_type_id=message.content_type_id,
            message__object_id=message.object_id,
            kind=kind,
            level=level,
            exercise=message.exercise,
            status__in=(ResponseProposalStatus.OPEN, ResponseProposalStatus.DISMISSED),
        ).exists()
    ):
        return None  # the same warning proposed the same already (an extension, a new area): no repeat
    now = timezone.now()
    Proposal.objects.filter(
        hazard=message.hazard, area=area, exercise=message.exercise, status=ResponseProposalStatus.OPEN
    ).update(status=ResponseProposalStatus.SUPERSEDED, decided_at=now)
    proposal = Proposal.objects.create(
        kind=kind,
        hazard=message.hazard,
        area=area,
        level=level,
        exercise=message.exercise,
        plan=plan,
        response=running,
        message=message,
        warning_level=message.level,
        warning_subject=message.subject[:200],
    )
    text = proposal_text(proposal)
    if running is not None:
        ResponseEvent.objects.create(
            response=running,
            kind=EventKind.PROPOSAL,
            text=text[:1000],
            data={"proposal": proposal.pk, "message": message.pk, "kind": kind, "level": level},
        )
    return proposal


def proposal_text(proposal: Proposal) -> str:
    return log_text(
        PROPOSAL_TEXT[proposal.kind],
        level=ROMAN.get(proposal.level, ""),
        hazard=hazard_label(proposal.hazard),
        area=proposal.area.name,
    )


@transaction.atomic
def dismiss(user, proposal: Proposal, note: str = "") -> Proposal:
    """A person says no to a proposal (with an optional note)."""
    note = inputs.text(note, _("note"), maximum=2000)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != ResponseProposalStatus.OPEN:
        raise Conflict(_("the proposal was already %(status)s") % {"status": proposal.get_status_display()})
    proposal.status = ResponseProposalStatus.DISMISSED
    proposal.decided_at = timezone.now()
    proposal.decided_by = user if getattr(user, "pk", None) else None
    proposal.decision_note = note
    proposal.save()
    return proposal


@transaction.atomic
def act_on(user, proposal: Proposal, level: str | None = None, reason: str = "", expected_version=None):
    """Carry a proposal out: start (at its level, or another the commander chooses), upgrade, or end."""
    from citywatch.response.actions import responses

    proposal = Proposal.objects.select_related("plan__current", "area", "response").get(pk=proposal.pk)
    if proposal.status != ResponseProposalStatus.OPEN:
        raise Conflict(_("the proposal was already %(status)s") % {"status": proposal.get_status_display()})
    reason = reason or proposal.warning_subject
    if proposal.kind == ProposalKind.START:
        return responses.start(
            user, proposal.plan, level or proposal.level, proposal.area, reason, proposal=proposal
        )
    if proposal.response is None:
        raise Conflict(_("the proposal names no running response"))
    if proposal.kind == ProposalKind.UPGRADE:
        return responses.change_level(
            user, proposal.response, level or proposal.level, reason, expected_version, proposal=proposal
        )
    return responses.end(user, proposal.response, reason, expected_version, proposal=proposal)
