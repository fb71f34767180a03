"""Who may do what with plans and responses (where comes from the jurisdiction). Read by ``core.roles``.

City admins keep the plans (import, edit) and may do everything; commanders start, change and end
responses (``add_response`` / ``change_response`` — a duty officer who tries is refused 403) and act on
proposals; duty officers and district officers follow responses and mark checklist actions done;
inspectors read. Plans are read by everyone who works an emergency. The timeline is append-only.
"""

from citywatch.core.choices import Role
from citywatch.core.roles import ALL, VIEW, VIEW_ADD_CHANGE, same

VIEW_CHANGE = ("view", "change")
VIEW_ADD = ("view", "add")
PLANS = ("plan", "planrevision", "planlevel", "planaction")
READ = {**same(PLANS, VIEW), **same(("response", "checklistaction", "responseevent", "proposal"), VIEW)}

GRANTS = {
    Role.CITY_ADMIN: {
        **same(PLANS, ALL),
        "response": VIEW_ADD_CHANGE,
        "checklistaction": VIEW_CHANGE,
        "responseevent": VIEW_ADD,
        "proposal": VIEW_CHANGE,
    },
    Role.COMMANDER: {
        **same(PLANS, VIEW),
        "response": VIEW_ADD_CHANGE,
        "checklistaction": VIEW_CHANGE,
        "responseevent": VIEW_ADD,
        "proposal": VIEW_CHANGE,
    },
    Role.DUTY_OFFICER: {**READ, "checklistaction": VIEW_CHANGE, "responseevent": VIEW_ADD},
    Role.DISTRICT_OFFICER: {**READ, "checklistaction": VIEW_CHANGE},
    Role.INSPECTOR: READ,
}
