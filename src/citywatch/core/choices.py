"""Kinds, levels and states of the core app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street / town")
    COMMUNITY = "community", _("Community / village")


# Rank of each level, top first: a parent must rank above its child.
AREA_LEVEL_RANK = {level: rank for rank, level in enumerate(AreaLevel.values)}
CITY_WIDE_LEVELS = {AreaLevel.PROVINCE, AreaLevel.CITY}


class PointSource(models.TextChoices):
    NONE = "", _("None")
    BOUNDARY = "boundary", _("Inside the boundary")
    IMPORTED = "imported", _("Imported")
    SYNTHETIC = "synthetic", _("Synthetic (demo)")


class OrganisationKind(models.TextChoices):
    DEPARTMENT = "department", _("Government department")
    AGENCY = "agency", _("Agency")
    RESCUE_UNIT = "rescue_unit", _("Rescue unit owner")
    ENTERPRISE = "enterprise", _("Enterprise")
    SOCIAL = "social", _("Social organisation")
    OTHER = "other", _("Other")


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("City administrator")
    COMMANDER = "commander", _("Commander")
    DUTY_OFFICER = "duty_officer", _("Duty officer")
    DISTRICT_OFFICER = "district_officer", _("District officer")
    INSPECTOR = "inspector", _("Inspector")
    TEAM_LEADER = "team_leader", _("Rescue team leader")
    DATA_FEED = "data_feed", _("Data feed (machine)")


class ChangeAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")


class ChangeSource(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    CLI = "cli", _("Command line")
    WORKER = "worker", _("Worker")
    SYSTEM = "system", _("System")
