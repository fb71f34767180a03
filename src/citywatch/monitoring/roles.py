"""Who may do what in the monitoring hub (where comes from the jurisdiction). Read by ``core.roles``.

The city admin may do everything. Commanders and duty officers keep the registry and the rules, and
acknowledge and close alarms (``change_alarm``); district officers do the same in their district; inspectors
view. A data feed (a machine with a token for one source) adds observations — only for its own source's
stations (checked by the ingestion, ``actions.ingest``) — and sees the catalogue and its stations.
"""

from citywatch.core.choices import Role
from citywatch.core.roles import ALL, VIEW, VIEW_ADD_CHANGE, same

REGISTRY = ("datasource", "station", "rule")
READINGS = ("observation", "observationcorrection")
ALARMS = ("alarm", "alarmevent")
FEED_HEALTH = ("deadletter", "rejecttally", "recentreject")
EVERYTHING = (*REGISTRY, *READINGS, *ALARMS, "variable", *FEED_HEALTH)

STAFF = {
    **same(REGISTRY, ALL),
    "variable": VIEW,
    "observation": ("view", "add", "change"),
    "observationcorrection": ("view", "add"),
    "alarm": ("view", "change"),
    "alarmevent": ("view", "add"),
    **same(FEED_HEALTH, VIEW),
}

GRANTS = {
    Role.CITY_ADMIN: {**same(EVERYTHING, ALL)},
    Role.COMMANDER: STAFF,
    Role.DUTY_OFFICER: STAFF,
    Role.DISTRICT_OFFICER: {**STAFF, **same(REGISTRY, VIEW_ADD_CHANGE)},
    Role.INSPECTOR: same(EVERYTHING, VIEW),
    Role.TEAM_LEADER: {"station": VIEW, "variable": VIEW, "observation": VIEW, "alarm": VIEW},
    Role.DATA_FEED: {"datasource": VIEW, "station": VIEW, "variable": VIEW, "observation": ("view", "add")},
}
