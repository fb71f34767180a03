"""Who may do what with incidents (where comes from the jurisdiction).

city_admin: everything; commander and duty officer: view, add, change everywhere; district officers: view,
add, change in their district; team leaders: view dispatches and change those assigned to them (the API
checks ``assigned_to``); inspectors: view.
"""

from citywatch.core.choices import Role
from citywatch.core.roles import VIEW, grant

MODELS = ["incident", "participant", "task", "dispatch", "supplyrequest", "incidentlog"]
VAC = ("view", "add", "change")

grant([Role.CITY_ADMIN], "incidents", MODELS)
grant([Role.COMMANDER, Role.DUTY_OFFICER, Role.DISTRICT_OFFICER], "incidents", MODELS, VAC)
grant([Role.INSPECTOR], "incidents", MODELS, VIEW)
grant([Role.TEAM_LEADER], "incidents", ["dispatch"], ("view", "change"))
