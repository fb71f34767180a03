"""Summoning experts to an incident: the response-order engine that dispatches teams
(``actions.place_order`` and ``actions.order_transition``) applied to ``resources.Expert``.

requested → accepted → en route → on scene → released, or declined from requested. The expert's
``availability`` follows in the same transaction, under a row lock on the expert (requested … on scene:
busy; released or declined: available). Summoning an expert who is busy or unavailable is a Conflict (409).

The expert must be visible to the summoner (``Expert.objects.restrict(user, "view")``), else NotFound
(404). Experts are registered at an admin area: the city's own pool and the experts shared from
neighbouring cities (Quanzhou, Zhangzhou) sit at the city-level area, so only city-level users (city
admin, commander, duty officer) can summon them; a district officer summons the experts of their district.

Every step writes one ``LogKind.DISPATCH`` entry to the incident log (``data.summons`` tells it from a
team dispatch; a new log kind would need a migration of the log's choices). Permissions: incidents/roles.py.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from citywatch.incidents.actions import (
    ACTIVE_DISPATCH,
    ORDER_ACTIONS,
    ORDER_TIMESTAMP,
    ORDER_TRANSITIONS,
    OrderKind,
    order_transition,
    place_order,
)
from citywatch.incidents.choices import DispatchStatus
from citywatch.incidents.models import ExpertSummons, Incident
from citywatch.resources.choices import Availability

D = DispatchStatus
# The summons names of the order table shared with dispatches: (state, action) → new state; anything not
# listed is a Conflict.
SUMMONS_TRANSITIONS = ORDER_TRANSITIONS
SUMMONS_ACTIONS = ORDER_ACTIONS
SUMMONS_TIMESTAMP = ORDER_TIMESTAMP
ACTIVE_SUMMONS = ACTIVE_DISPATCH
AVAILABILITY_FOR = {
    D.REQUESTED: Availability.BUSY,
    D.ACCEPTED: Availability.BUSY,
    D.EN_ROUTE: Availability.BUSY,
    D.ON_SCENE: Availability.BUSY,
    D.RELEASED: Availability.AVAILABLE,
    D.DECLINED: Availability.AVAILABLE,
}

SUMMONS = OrderKind(
    model=ExpertSummons,
    resource="expert",
    state_field="availability",
    state_for=AVAILABILITY_FOR,
    available=Availability.AVAILABLE,
    noun="summons",
    not_found=gettext_noop("no expert %(id)s in your jurisdiction"),
    closed=gettext_noop("the incident is %(status)s; experts cannot be summoned to it"),
    illegal=gettext_noop("cannot %(action)s a summons that is %(status)s"),
    requested_text=gettext_noop("expert %(name)s summoned"),
    step_text=gettext_noop("expert %(name)s: %(old)s → %(new)s"),
)


def summon_expert(incident: Incident, expert_id: int, user, note: str = "") -> ExpertSummons:
    """Summon an expert to the incident. The expert must be available and in the summoner's
    jurisdiction; they become busy in the same transaction."""
    return place_order(SUMMONS, incident, expert_id, user, note)


def summons_transition(summons: ExpertSummons, action: str, user, note: str = "") -> ExpertSummons:
    """Move a summons one step; the expert's availability follows."""
    return order_transition(SUMMONS, summons, action, user, note)
