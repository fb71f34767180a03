"""Kinds, levels and states of incidents (DOMAIN §3.3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Category(models.TextChoices):
    NATURAL_DISASTER = "natural_disaster", _("Natural disaster")
    ACCIDENT_DISASTER = "accident_disaster", _("Accident disaster")
    PUBLIC_HEALTH = "public_health", _("Public health")
    SOCIAL_SECURITY = "social_security", _("Social security")


class IncidentType(models.TextChoices):
    TYPHOON = "typhoon", _("Typhoon")
    FLOOD = "flood", _("Flood")
    RAINSTORM = "rainstorm", _("Rainstorm")
    LANDSLIDE = "landslide", _("Landslide")
    FOREST_FIRE = "forest_fire", _("Forest fire")
    EARTHQUAKE = "earthquake", _("Earthquake")
    HAZCHEM_LEAK = "hazchem_leak", _("Hazardous chemical leak")
    FIRE = "fire", _("Fire")
    TRAFFIC = "traffic", _("Traffic accident")
    BUILDING_COLLAPSE = "building_collapse", _("Building collapse")
    OTHER = "other", _("Other")


# Which category each type belongs to. "other" fits every category.
TYPE_CATEGORIES: dict[str, frozenset[str]] = {
    IncidentType.TYPHOON: frozenset({Category.NATURAL_DISASTER}),
    IncidentType.FLOOD: frozenset({Category.NATURAL_DISASTER}),
    IncidentType.RAINSTORM: frozenset({Category.NATURAL_DISASTER}),
    IncidentType.LANDSLIDE: frozenset({Category.NATURAL_DISASTER}),
    IncidentType.FOREST_FIRE: frozenset({Category.NATURAL_DISASTER}),
    IncidentType.EARTHQUAKE: frozenset({Category.NATURAL_DISASTER}),
    IncidentType.HAZCHEM_LEAK: frozenset({Category.ACCIDENT_DISASTER}),
    IncidentType.FIRE: frozenset({Category.ACCIDENT_DISASTER}),
    IncidentType.TRAFFIC: frozenset({Category.ACCIDENT_DISASTER}),
    IncidentType.BUILDING_COLLAPSE: frozenset({Category.ACCIDENT_DISASTER}),
    IncidentType.OTHER: frozenset(Category.values),
}


# Which rescue teams an incident of each type calls for, the most fitting first (configuration: the
# one-map ranks teams of these kinds first and offers them by default; values are resources' TeamKind).
# An incident at sea calls for water rescue first whatever its type.
PREFERRED_TEAM_TYPES: dict[str, tuple[str, ...]] = {
    IncidentType.TYPHOON: ("water_rescue", "fire_rescue", "power", "communications", "construction"),
    IncidentType.FLOOD: ("water_rescue", "fire_rescue", "grassroots"),
    IncidentType.RAINSTORM: ("water_rescue", "fire_rescue", "grassroots"),
    IncidentType.LANDSLIDE: ("fire_rescue", "construction", "mine"),
    IncidentType.FOREST_FIRE: ("forest_fire", "fire_rescue"),
    IncidentType.EARTHQUAKE: ("fire_rescue", "construction", "medical", "communications"),
    IncidentType.HAZCHEM_LEAK: ("hazchem", "fire_rescue", "medical"),
    IncidentType.FIRE: ("fire_rescue", "medical"),
    IncidentType.TRAFFIC: ("fire_rescue", "medical"),
    IncidentType.BUILDING_COLLAPSE: ("fire_rescue", "construction", "medical"),
    IncidentType.OTHER: (),
}
AT_SEA_TEAM_TYPES = ("water_rescue",)


def preferred_team_types(incident) -> list[str]:
    """The team kinds the incident calls for, the most fitting first."""
    kinds = list(PREFERRED_TEAM_TYPES.get(incident.type, ()))
    if getattr(incident, "at_sea", False):
        kinds = list(AT_SEA_TEAM_TYPES) + [k for k in kinds if k not in AT_SEA_TEAM_TYPES]
    return kinds


class Severity(models.TextChoices):
    I = "1", _("Ⅰ especially serious")  # noqa: E741
    II = "2", _("Ⅱ serious")
    III = "3", _("Ⅲ relatively serious")
    IV = "4", _("Ⅳ general")


class ReportedVia(models.TextChoices):
    PHONE = "phone", _("Phone")
    APP = "app", _("App")
    FEED = "feed", _("Monitoring feed")
    PATROL = "patrol", _("Patrol")
    OTHER = "other", _("Other")


class IncidentStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    VERIFIED = "verified", _("Verified")
    RESPONDING = "responding", _("Responding")
    STABILISED = "stabilised", _("Stabilised")
    CLOSED = "closed", pgettext_lazy("incident status", "Closed")
    CANCELLED = "cancelled", _("Cancelled (false report)")


class LogKind(models.TextChoices):
    NOTE = "note", _("Note")
    STATUS = "status", _("Status")
    DISPATCH = "dispatch", _("Dispatch")
    SUPPLY = "supply", _("Supply")
    # Command roles, tasks and the forward command post.
    COMMAND = "command", pgettext_lazy("log kind", "Command")
    # Upward reports and situation reports.
    REPORT = "report", pgettext_lazy("log kind", "Report")
    # An incident's fields changed (title, type, severity, casualties…).
    EDIT = "edit", pgettext_lazy("log kind", "Edit")
    # The severity was raised (升级) or lowered: logged apart from other edits.
    SEVERITY = "severity", pgettext_lazy("log kind", "Severity change")
    SYSTEM = "system", _("System")


class ParticipantRole(models.TextChoices):
    COMMANDER = "commander", _("Commander")
    DEPUTY = "deputy", _("Deputy commander")
    LIAISON = "liaison", _("Liaison")
    SCRIBE = "scribe", _("Scribe")
    EXPERT = "expert", _("Expert")


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task status", "Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", pgettext_lazy("task status", "Cancelled")


class DispatchStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("dispatch status", "Requested")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EN_ROUTE = "en_route", _("En route")
    ON_SCENE = "on_scene", _("On scene")
    # The team leader reported the task complete (任务完成); the team stays deployed until the command
    # releases it.
    COMPLETED = "completed", _("Completed, awaiting release")
    RELEASED = "released", _("Released")
    RECALLED = "recalled", _("Recalled")


class SupplyStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("supply status", "Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SHIPPED = "shipped", _("Shipped")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", pgettext_lazy("supply status", "Cancelled")


# The outbox events this app publishes, named for the pages (registered with notify in ``apps.py``).
EVENT_KIND_NAMES = {
    "dispatch.*": _("Every dispatch order event"),
    "dispatch.requested": _("Dispatch order sent"),
    "dispatch.recalled": _("Dispatch order recalled"),
    "dispatch.field_report": _("Field report from a dispatched team"),
    "dispatch.completed": _("Dispatched team reported its task complete"),
}
