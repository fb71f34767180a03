"""Who may do what with resources (where comes from the jurisdiction). Read by ``core.roles``."""

from django.db.models import Q

from citywatch.core.choices import Role
from citywatch.core.roles import ALL, VIEW, same

LOCATED = ("rescueteam", "depot", "medicalfacility", "shelter", "expert", "facility", "dutyperson")
CATALOGUES = ("supplyitem", "expertcategory")
LEDGER = ("stockmovement", "stockbalance")
VIEW_CHANGE = ("view", "change")

# Commanders and duty officers keep the operational state of teams, shelters and experts current.
COMMAND = {
    **same(LOCATED + CATALOGUES + LEDGER, VIEW),
    **same(("rescueteam", "shelter", "expert"), VIEW_CHANGE),
}

GRANTS = {
    Role.CITY_ADMIN: same(LOCATED + CATALOGUES + LEDGER, ALL),
    Role.COMMANDER: COMMAND,
    Role.DUTY_OFFICER: {**COMMAND, "stockmovement": ("view", "add")},
    Role.DISTRICT_OFFICER: {
        **same(LOCATED, ALL),
        **same(("stockbalance",) + CATALOGUES, VIEW),
        "stockmovement": ("view", "add"),
    },
    Role.INSPECTOR: same(LOCATED + CATALOGUES, VIEW),
    Role.DATA_FEED: same(LOCATED + CATALOGUES, VIEW),
    Role.TEAM_LEADER: {
        **same(("depot", "shelter", "medicalfacility", "facility"), VIEW),
        "rescueteam": VIEW_CHANGE,
    },
}

# A team leader edits only the team they lead (``RescueTeam.leader``); they see the others.
ROW_RULES = {
    (Role.TEAM_LEADER, "resources.change_rescueteam"): lambda user: Q(leader=user),
}
