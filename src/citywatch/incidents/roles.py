"""Who may do what in incident command (where comes from the jurisdiction). Read by ``core.roles``.

The city admin may do everything; commanders, duty officers and district officers view, add and change
(in their jurisdiction); inspectors view; team leaders see command posts and the dispatch orders of their
jurisdiction (without the incidents' records) and answer only the orders assigned to them (their row
rule below; ``actions.may_move_dispatch`` keeps them to the leader's steps — releasing is the
command's). Logs are append-only: the handover log is viewed and added to, never changed.
"""

from django.db.models import Q

from citywatch.core.choices import Role
from citywatch.core.roles import ALL, VIEW, VIEW_ADD_CHANGE, same

COMMAND = (
    "incident",
    "participant",
    "task",
    "dispatch",
    "expertsummons",
    "supplyrequest",
    "incidentlog",
    "commandpost",
    "dutyshift",
    "sitrep",
)
VIEW_ADD = ("view", "add")
STAFF = {**same(COMMAND, VIEW_ADD_CHANGE), "handoverentry": VIEW_ADD}

GRANTS = {
    Role.CITY_ADMIN: {**same(COMMAND, ALL), "handoverentry": VIEW_ADD},
    Role.COMMANDER: STAFF,
    Role.DUTY_OFFICER: STAFF,
    Role.DISTRICT_OFFICER: STAFF,
    Role.INSPECTOR: same((*COMMAND, "handoverentry"), VIEW),
    Role.TEAM_LEADER: {"dispatch": ("view", "change"), "commandpost": VIEW},
}

ROW_RULES = {
    (Role.TEAM_LEADER, "incidents.change_dispatch"): lambda user: Q(assigned_to=user),
}
