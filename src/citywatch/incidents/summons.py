"""Summoning experts to an incident: the dispatch design (``actions.request_dispatch`` and
``actions.dispatch_transition``) applied to ``resources.Expert``.

requested → accepted → en route → on scene → released, or declined from requested. The expert's
``availability`` follows in the same transaction, under a row lock on the expert (requested … on scene:
busy; released or declined: available). Summoning an expert who is busy or unavailable is a Conflict (409).

The expert must be visible to the summoner (``Expert.objects.restrict(user, "view")``), else NotFound
(404). Experts are registered at an admin area: the city's own pool and the experts shared from
neighbouring cities (Quanzhou, Zhangzhou) sit at the city-level area, so only city-level users (city
admin, commander, duty officer) can summon them; a district officer summons the experts of their district.

Every step writes one ``LogKind.DISPATCH`` entry to the incident log (``data.summons`` tells it from a
team dispatch; a new log kind would need a migration of the log's choices). Permissions are granted here
like dispatches; the module is imported from ``IncidentsConfig.ready``.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from citywatch.core.choices import Role
from citywatch.core.roles import VIEW, grant
from citywatch.incidents.actions import (
    DISPATCH_TIMESTAMP,
    DISPATCH_TRANSITIONS,
    OPEN_STATES,
    Conflict,
    Invalid,
    NotFound,
    _eta,
    _locked,
    _log,
    _user,
)
from citywatch.incidents.choices import DispatchStatus, LogKind
from citywatch.incidents.models import ExpertSummons, Incident
from citywatch.resources.choices import Availability

grant([Role.CITY_ADMIN], "incidents", ["expertsummons"])
grant(
    [Role.COMMANDER, Role.DUTY_OFFICER, Role.DISTRICT_OFFICER],
    "incidents",
    ["expertsummons"],
    ("view", "add", "change"),
)
grant([Role.INSPECTOR], "incidents", ["expertsummons"], VIEW)

D = DispatchStatus
# The dispatch table, unchanged: (state, action) → new state; anything not listed is a Conflict.
SUMMONS_TRANSITIONS: dict[tuple[str, str], str] = dict(DISPATCH_TRANSITIONS)
SUMMONS_ACTIONS = tuple(dict.fromkeys(a for _, a in SUMMONS_TRANSITIONS))
SUMMONS_TIMESTAMP = dict(DISPATCH_TIMESTAMP)
ACTIVE_SUMMONS = {D.REQUESTED, D.ACCEPTED, D.EN_ROUTE, D.ON_SCENE}
AVAILABILITY_FOR = {
    D.REQUESTED: Availability.BUSY,
    D.ACCEPTED: Availability.BUSY,
    D.EN_ROUTE: Availability.BUSY,
    D.ON_SCENE: Availability.BUSY,
    D.RELEASED: Availability.AVAILABLE,
    D.DECLINED: Availability.AVAILABLE,
}


def _eta_text(eta_s):
    return f" (ETA {eta_s / 60:.0f} min)" if eta_s is not None else ""


@transaction.atomic
def summon_expert(incident: Incident, expert_id: int, user, note: str = "") -> ExpertSummons:
    """Summon an expert to the incident. The expert must be available and in the summoner's
    jurisdiction; they become busy in the same transaction."""
    from citywatch.resources.models import Expert

    if not Expert.objects.restrict(user, "view").filter(pk=expert_id).exists():
        raise NotFound(f"no expert {expert_id} in your jurisdiction")
    incident = _locked(incident)
    if incident.status not in OPEN_STATES:
        raise Conflict(f"the incident is {incident.status}; experts cannot be summoned to it")
    expert = Expert.objects.select_for_update().get(pk=expert_id)
    if expert.availability != Availability.AVAILABLE:
        raise Conflict(f"{expert.name} is {expert.availability}, not available")
    eta_s, eta_method = _eta(expert, incident)
    summons = ExpertSummons.objects.create(
        incident=incident,
        expert=expert,
        requested_by=_user(user),
        eta_s=eta_s,
        eta_method=eta_method,
        note=(note or "")[:200],
        requested_at=timezone.now(),
    )
    expert.availability = Availability.BUSY
    expert.save()
    _log(
        incident,
        LogKind.DISPATCH,
        f"expert {expert.name} summoned" + _eta_text(eta_s),
        user,
        {"summons": summons.pk, "expert": expert.pk, "to": D.REQUESTED, "eta_s": eta_s},
    )
    return summons


@transaction.atomic
def summons_transition(summons: ExpertSummons, action: str, user, note: str = "") -> ExpertSummons:
    from citywatch.resources.models import Expert

    if action not in SUMMONS_ACTIONS:
        raise Invalid(f"unknown action {action!r}; use {', '.join(SUMMONS_ACTIONS)}")
    incident = _locked(summons.incident)
    summons = ExpertSummons.objects.select_for_update().get(pk=summons.pk)
    new = SUMMONS_TRANSITIONS.get((summons.status, action))
    if new is None:
        raise Conflict(f"cannot {action} a summons that is {summons.status}")
    expert = Expert.objects.select_for_update().get(pk=summons.expert_id)
    old = summons.status
    summons.status = new
    setattr(summons, SUMMONS_TIMESTAMP[new], timezone.now())
    summons.save()
    if expert.availability != AVAILABILITY_FOR[new]:
        expert.availability = AVAILABILITY_FOR[new]
        expert.save()
    _log(
        incident,
        LogKind.DISPATCH,
        f"expert {expert.name}: {old} → {new}" + (f": {note}" if note else ""),
        user,
        {"summons": summons.pk, "expert": expert.pk, "action": action, "from": old, "to": new},
    )
    return summons
