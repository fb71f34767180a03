"""Who may do what with warnings (where comes from the jurisdiction). Read by ``core.roles``.

Duty officers and commanders draft and change warnings; *issuing* is a further rule of the actions
(``actions.may_issue``): commanders (and the city admin) issue any level, duty officers blue and yellow
only when ``CITYWATCH_WARNINGS_DUTY_OFFICER_ISSUES_LOW`` is on, and otherwise submit for approval.
District officers draft warnings for their district; inspectors and team leaders see the warnings of
their jurisdiction; a data feed (a
machine account of the meteorological service) adds official warnings as CAP.
"""

from citywatch.core.choices import Role
from citywatch.core.roles import ALL, VIEW, VIEW_ADD_CHANGE, same

CATALOGUE = ("hazardtype", "guidance", "capfeed")
VIEW_ADD = ("view", "add")

GRANTS = {
    Role.CITY_ADMIN: {
        **same(("warning", "proposal", *CATALOGUE), ALL),
        "warningversion": VIEW,
    },
    Role.COMMANDER: {
        "warning": VIEW_ADD_CHANGE,
        "warningversion": VIEW,
        "proposal": ("view", "change"),
        **same(CATALOGUE, VIEW),
    },
    Role.DUTY_OFFICER: {
        "warning": VIEW_ADD_CHANGE,
        "warningversion": VIEW,
        "proposal": ("view", "change"),
        **same(CATALOGUE, VIEW),
    },
    # District staff draft warnings for their district (a commander issues them).
    Role.DISTRICT_OFFICER: {
        "warning": VIEW_ADD_CHANGE,
        **same(("warningversion", "proposal", "hazardtype", "guidance"), VIEW),
    },
    Role.INSPECTOR: same(("warning", "warningversion", "hazardtype"), VIEW),
    Role.TEAM_LEADER: same(("warning", "warningversion", "hazardtype"), VIEW),
    Role.DATA_FEED: {"warning": VIEW_ADD, "warningversion": VIEW, "hazardtype": VIEW},
}

ROW_RULES: dict = {}
