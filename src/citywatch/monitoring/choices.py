"""Kinds, levels, states and flags of the monitoring hub (issue 12)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class StationKind(models.TextChoices):
    RAIN_GAUGE = "rain_gauge", _("Rain gauge")
    RIVER_LEVEL = "river_level", _("River level")
    RESERVOIR_LEVEL = "reservoir_level", _("Reservoir level")
    TIDE = "tide", _("Tide gauge")
    WIND = "wind", _("Wind station")
    WEATHER = "weather", _("Weather station")
    LANDSLIDE = "landslide", _("Landslide displacement monitor")
    GAS = "gas", _("Gas detector")
    OTHER = "other", _("Other station")


class StationStatus(models.TextChoices):
    """What the owner says about a station; whether it reports (stale) is measured, not set."""

    ACTIVE = "active", _("Active")
    MAINTENANCE = "maintenance", _("Under maintenance")
    RETIRED = "retired", _("Retired")


class AlarmLevel(models.TextChoices):
    """The four levels of a rule and an alarm, lowest first (the same codes as notify's levels and
    ``evaluation.Level``: blue 1 … red 4)."""

    BLUE = "blue", _("Blue")
    YELLOW = "yellow", _("Yellow")
    ORANGE = "orange", _("Orange")
    RED = "red", _("Red")


LEVEL_RANK = {level: rank for rank, level in enumerate(AlarmLevel.values, start=1)}
LEVEL_OF_RANK = {rank: level for level, rank in LEVEL_RANK.items()}


class AlarmState(models.TextChoices):
    """open → acknowledged (a duty officer, with a note) → cleared (the value came back) → closed.
    An alarm may clear before anyone acknowledged it; "open" and "acknowledged" are the live states."""

    OPEN = "open", pgettext_lazy("alarm state", "Open")  # 待确认, not yet acknowledged
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLEARED = "cleared", _("Cleared")
    CLOSED = "closed", _("Closed")


LIVE_STATES = (AlarmState.OPEN, AlarmState.ACKNOWLEDGED)


class AlarmKind(models.TextChoices):
    RULE = "rule", _("Rule")
    STALE = "stale", _("Station not reporting")


class AlarmEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    ESCALATED = "escalated", _("Escalated")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLEARED = "cleared", _("Cleared")
    CLOSED = "closed", _("Closed")


class Quality(models.IntegerChoices):
    """A reading's quality flag (a small integer: observations are many)."""

    GOOD = 0, _("Good")
    SUSPECT = 1, _("Suspect")
    ESTIMATED = 2, _("Estimated")
    CORRECTED = 3, _("Corrected")


QUALITY_CODES = {"good": Quality.GOOD, "suspect": Quality.SUSPECT, "estimated": Quality.ESTIMATED,
                 "corrected": Quality.CORRECTED}  # fmt: skip


class RuleKind(models.TextChoices):
    THRESHOLD = "threshold", _("Threshold")
    WINDOW = "window", _("Trailing window")
    RATE = "rate", _("Rate of change")
    NO_DATA = "no_data", _("No data")


class Operator(models.TextChoices):
    GT = ">", ">"
    GE = ">=", "≥"
    LT = "<", "<"
    LE = "<=", "≤"


class Aggregate(models.TextChoices):
    SUM = "sum", _("Sum")
    MEAN = "mean", _("Mean")
    MAX = "max", _("Maximum")
    MIN = "min", _("Minimum")


class Direction(models.TextChoices):
    RISE = "rise", _("Rise")
    FALL = "fall", _("Fall")


class RuleTarget(models.TextChoices):
    """Which stations a rule watches (always those reporting its variable)."""

    KIND = "kind", _("Stations of a kind")
    SOURCE = "source", _("Stations of a source")
    AREA = "area", _("Stations in an area")
    LIST = "list", _("Listed stations")


class Channel(models.TextChoices):
    """The way a reading arrived (dead letters, feed health)."""

    HTTP = "http", _("HTTP")
    MQTT = "mqtt", _("MQTT")
    FILE = "file", _("File")
    PULL = "pull", _("Pull adapter")


class RejectKind(models.TextChoices):
    """Why the ingestion refused a reading, as counted per source (``RejectTally``): the reasons of the
    ingestion's answer grouped so that the sources page can show them in the reader's language."""

    MALFORMED = "malformed", _("Malformed reading")
    UNKNOWN_STATION = "unknown_station", _("Unknown station")
    NOT_ALLOWED = "not_allowed", _("Station of another source")
    UNKNOWN_VARIABLE = "unknown_variable", _("Unknown variable")
    NOT_A_NUMBER = "not_a_number", _("Not a number")
    OUT_OF_RANGE = "out_of_range", _("Outside the valid range")
    BAD_TIME = "bad_time", _("Bad time")
    FUTURE_TIME = "future_time", _("Time in the future")
    CONFLICT = "conflict", _("Conflicting value")
    OTHER = "other", _("Other")


# The outbox events this app publishes, named for the pages (registered with notify in ``apps.py``).
EVENT_KIND_NAMES = {
    "alarm.*": _("Every alarm event"),
    "alarm.opened": _("Alarm opened"),
    "alarm.escalated": _("Alarm escalated"),
    "alarm.acknowledged": _("Alarm acknowledged"),
    "alarm.cleared": _("Alarm cleared"),
    "alarm.closed": _("Alarm closed"),
}
