"""Kinds, levels and states of emergency resources."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TeamKind(models.TextChoices):
    FIRE_RESCUE = "fire_rescue", _("Comprehensive fire and rescue")
    FOREST_FIRE = "forest_fire", _("Professional: forest fire")
    HAZCHEM = "hazchem", _("Professional: hazardous chemicals")
    WATER_RESCUE = "water_rescue", _("Professional: water rescue")
    MINE = "mine", _("Professional: mine rescue")
    MEDICAL = "medical", _("Professional: medical")
    POWER = "power", _("Professional: power")
    COMMUNICATIONS = "communications", _("Professional: communications")
    CONSTRUCTION = "construction", _("Professional: construction")
    SOCIAL = "social", _("Social rescue force")
    GRASSROOTS = "grassroots", _("Grassroots street or community team")
    ENTERPRISE = "enterprise", _("Enterprise team")


class TeamStatus(models.TextChoices):
    AVAILABLE = "available", pgettext_lazy("team status", "Available")
    DEPLOYED = "deployed", _("Deployed")
    UNAVAILABLE = "unavailable", pgettext_lazy("team status", "Unavailable")


class Readiness(models.TextChoices):
    IMMEDIATE = "immediate", _("Ready at once")
    WITHIN_1H = "within_1h", _("Ready within 1 hour")
    WITHIN_4H = "within_4h", _("Ready within 4 hours")
    NOT_READY = "not_ready", _("Not ready")


class DepotKind(models.TextChoices):
    CITY = "city", _("City reserve depot")
    DISTRICT = "district", _("District reserve depot")
    STREET = "street", _("Street reserve depot")
    COMMUNITY_STATION = "community_station", _("Community supply reserve station")
    ENTERPRISE = "enterprise", _("Enterprise reserve")


class SupplyCategory(models.TextChoices):
    SHELTER = "shelter", _("Shelter and bedding")
    RESCUE = "rescue", _("Rescue equipment")
    FLOOD = "flood", _("Flood control")
    POWER = "power", _("Power and lighting")
    FOOD = "food", _("Food and water")
    MEDICAL = "medical", _("Medical")
    PROTECTIVE = "protective", _("Protective equipment")
    OTHER = "other", _("Other")


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    ISSUE = "issue", _("Issue")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    ADJUSTMENT = "adjustment", _("Adjustment")
    EXPIRY = "expiry", _("Expiry write-off")


# The sign a movement applies to the balance; adjustments carry their own sign.
MOVEMENT_SIGN = {
    MovementKind.RECEIPT: 1,
    MovementKind.TRANSFER_IN: 1,
    MovementKind.ISSUE: -1,
    MovementKind.TRANSFER_OUT: -1,
    MovementKind.EXPIRY: -1,
    MovementKind.ADJUSTMENT: 1,
}


class MedicalLevel(models.TextChoices):
    GRADE_3A = "3a", _("Grade III-A hospital (三甲)")
    GRADE_3 = "3", _("Grade III hospital")
    GRADE_2 = "2", _("Grade II hospital")
    GRADE_1 = "1", _("Grade I hospital")
    COMMUNITY = "community", _("Community health centre")
    CLINIC = "clinic", _("Clinic")


class ShelterKind(models.TextChoices):
    DISASTER_POINT = "disaster_point", _("Natural-disaster shelter point (避灾点)")
    EARTHQUAKE = "earthquake", _("Earthquake emergency shelter (地震应急避难场所)")
    COMPREHENSIVE = "comprehensive", _("Comprehensive emergency shelter")


class ShelterStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("shelter status", "Open")
    CLOSED = "closed", pgettext_lazy("shelter status", "Closed")
    FULL = "full", _("Full")


class ShelterFacility(models.TextChoices):
    WATER = "water", _("Water")
    POWER = "power", _("Power")
    TOILETS = "toilets", _("Toilets")
    MEDICAL_POINT = "medical_point", _("Medical point")
    ACCESSIBLE = "accessible", _("Accessible")


class HomeCity(models.TextChoices):
    LOCAL = "local", _("Local")
    QUANZHOU = "quanzhou", _("Quanzhou (shared)")
    ZHANGZHOU = "zhangzhou", _("Zhangzhou (shared)")
    LONGYAN = "longyan", _("Longyan (shared)")


class Availability(models.TextChoices):
    AVAILABLE = "available", pgettext_lazy("expert availability", "Available")
    BUSY = "busy", _("Busy")
    UNAVAILABLE = "unavailable", pgettext_lazy("expert availability", "Unavailable")


class FacilityKind(models.TextChoices):
    HELIPAD = "helipad", _("Helicopter landing point")
    MARITIME_SAR = "maritime_sar", _("Maritime search-and-rescue sub-centre")
    FIRE_CHECKPOINT = "fire_checkpoint", _("Forest fire checkpoint")
    EEW_TERMINAL = "eew_terminal", _("Earthquake early-warning terminal")
    MICRO_FIRE_STATION = "micro_fire_station", _("Micro fire station")
    SAFETY_PARK = "safety_park", _("Safety culture park")
    BROADCAST = "broadcast", _("Emergency broadcast")


class DutyKind(models.TextChoices):
    INFO_OFFICER = "info_officer", _("Disaster information officer (灾害信息员)")
    FOREST_RANGER = "forest_ranger", _("Forest ranger (护林员)")
