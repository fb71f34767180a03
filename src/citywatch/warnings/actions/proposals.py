"""Proposals: the system computes (``signals.py``, DOMAIN.md §3.1) and proposes; a person issues.

``record_signals`` stores what one computation found for one hazard: per area at a level, the one current
proposal of that hazard and area is created or moved to the new level with the readings that triggered it
(yellow becomes orange as the storm grows); an area computed without a signal lets its proposal lapse.
A proposal is *open* while its level is above the highest level issued from it (``issued_level``), so the
same level for the same area is never proposed — nor issued — twice: issuing a warning from it records
the level, and a warning already in force for the hazard and area counts as issued. Each new or risen
proposal writes a ``warning.proposed`` outbox message (the duty screen follows it live).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch import notify
from citywatch.core.errors import Conflict
from citywatch.core.models import AdminArea
from citywatch.warnings.actions.drafting import WarningInput, draft_warning
from citywatch.warnings.choices import COLOUR_NAMES, ProposalStatus, WarningStatus, level_rank
from citywatch.warnings.models import HazardType, Proposal, Warning

CURRENT = (ProposalStatus.OPEN, ProposalStatus.ISSUED)
DEFAULT_HOURS = 6


@dataclass
class Signal:
    """One area at one level, as computed: ``triggers`` are dicts (station, station_name, variable, time
    ISO 8601, value)."""

    area: AdminArea
    level: str
    value: float
    unit: str
    criterion: str
    observed_at: datetime.datetime
    triggers: list[dict] = field(default_factory=list)


def _issued_in_force(hazard: HazardType, area: AdminArea) -> str:
    """The highest level of a warning in force for this hazard covering the area (issued by anyone)."""
    best = ""
    now = timezone.now()
    rows = Warning.objects.filter(hazard=hazard, status=WarningStatus.ISSUED, exercise=False).filter(
        areas=area
    )
    for warning in rows:
        if (warning.expires is None or warning.expires > now) and level_rank(warning.level) > level_rank(
            best
        ):
            best = warning.level
    return best


@transaction.atomic
def record_signals(
    hazard_code: str, signals: list[Signal], computed_areas: list[AdminArea]
) -> list[Proposal]:
    """Store one computation of ``hazard_code``; ``computed_areas``: the areas whose stations took part
    (those without a signal let their proposal lapse). Returns the proposals that are new or rose."""
    hazard = HazardType.objects.get(code=hazard_code)
    now = timezone.now()
    raised: list[Proposal] = []
    signalled = {s.area.pk for s in signals}
    current = {
        p.area_id: p
        for p in Proposal.objects.select_for_update().filter(hazard=hazard, status__in=CURRENT).order_by("id")
    }
    for signal in signals:
        proposal = current.get(signal.area.pk)
        issued = _issued_in_force(hazard, signal.area)
        if proposal is None:
            proposal = Proposal(hazard=hazard, area=signal.area, issued_level=issued, history=[])
            old_level = ""
        else:
            old_level = proposal.level
            if level_rank(issued) > level_rank(proposal.issued_level):
                proposal.issued_level = issued
        proposal.level = signal.level
        proposal.value = signal.value
        proposal.unit = signal.unit
        proposal.criterion = signal.criterion[:120]
        proposal.triggers = signal.triggers[:200]
        proposal.observed_at = signal.observed_at
        if signal.level != old_level:
            proposal.history = [*proposal.history, {"level": signal.level, "at": now.isoformat()}][-50:]
        above = level_rank(signal.level) > level_rank(proposal.issued_level)
        proposal.status = ProposalStatus.OPEN if above else ProposalStatus.ISSUED
        proposal.save()
        if above and level_rank(signal.level) > level_rank(old_level):
            raised.append(proposal)
            _announce(proposal)
    for area in computed_areas:
        proposal = current.get(area.pk)
        if proposal is not None and area.pk not in signalled:
            proposal.status = ProposalStatus.LAPSED
            proposal.history = [*proposal.history, {"level": "", "at": now.isoformat()}][-50:]
            proposal.save()
    return raised


def _announce(proposal: Proposal) -> None:
    notify.publish(
        "warning.proposed",
        area=proposal.area,
        subject=f"{proposal.area.name}{proposal.hazard.name}{COLOUR_NAMES[proposal.level]}预警建议",
        body=f"{proposal.criterion}: {proposal.value:g} {proposal.unit}",
        payload={
            "proposal": proposal.pk,
            "hazard": proposal.hazard.code,
            "level": proposal.level,
            "area_code": proposal.area.code,
        },
        hazard=proposal.hazard.code,
        level=proposal.level,
        exercise=proposal.exercise,
        public=False,
        obj=proposal,
    )


def draft_from_proposal(user, proposal: Proposal, *, expires=None) -> Warning:
    """A draft warning at the proposal's level for its area, with the default guidance."""
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().select_related("hazard", "area").get(pk=proposal.pk)
        if proposal.status != ProposalStatus.OPEN:
            raise Conflict(
                _("this proposal is %(status)s: a warning at its level was already issued or it has lapsed")
                % {"status": proposal.get_status_display()}
            )
        now = timezone.now()
        stations = "、".join(dict.fromkeys(t.get("station_name") or t["station"] for t in proposal.triggers))
        description = f"{proposal.criterion}：{proposal.value:g} {proposal.unit}" + (
            f"（{stations}）" if stations else ""
        )
        return draft_warning(
            user,
            WarningInput(
                hazard=proposal.hazard.code,
                level=proposal.level,
                area_codes=[proposal.area.code],
                onset=now,
                expires=expires or now + datetime.timedelta(hours=DEFAULT_HOURS),
                description=description[:4000],
                exercise=proposal.exercise,
            ),
            proposal=proposal,
        )


@transaction.atomic
def dismiss_proposal(user, proposal: Proposal) -> Proposal:
    proposal = Proposal.objects.select_for_update().select_related("hazard", "area").get(pk=proposal.pk)
    if proposal.status != ProposalStatus.OPEN:
        raise Conflict(_("only an open proposal can be dismissed"))
    proposal.status = ProposalStatus.DISMISSED
    proposal.save()
    return proposal
