"""Who may do what with resources (where comes from the jurisdiction)."""

from citywatch.core.choices import Role
from citywatch.core.roles import VIEW, grant

LOCATED = ["rescueteam", "depot", "medicalfacility", "shelter", "expert", "facility", "dutyperson"]
CATALOGUES = ["supplyitem", "expertcategory"]
LEDGER = ["stockmovement", "stockbalance"]

grant([Role.CITY_ADMIN], "resources", LOCATED + CATALOGUES + LEDGER)
grant([Role.DISTRICT_OFFICER], "resources", LOCATED)
grant([Role.DISTRICT_OFFICER], "resources", ["stockmovement"], ("view", "add"))
grant([Role.DISTRICT_OFFICER], "resources", ["stockbalance"] + CATALOGUES, VIEW)
grant([Role.COMMANDER, Role.DUTY_OFFICER], "resources", LOCATED + CATALOGUES + LEDGER, VIEW)
grant([Role.COMMANDER, Role.DUTY_OFFICER], "resources", ["rescueteam", "shelter", "expert"], ("change",))
grant([Role.DUTY_OFFICER], "resources", ["stockmovement"], ("add",))
grant([Role.INSPECTOR, Role.DATA_FEED], "resources", LOCATED + CATALOGUES, VIEW)
grant(
    [Role.TEAM_LEADER], "resources", ["rescueteam", "depot", "shelter", "medicalfacility", "facility"], VIEW
)
grant([Role.TEAM_LEADER], "resources", ["rescueteam"], ("change",))
