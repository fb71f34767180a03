"""Levels, states and sources of warnings (DOMAIN.md §3.1; issue 13).

Hazard types are data (``HazardType`` rows, seeded by the first migration with the signals of CMA Order
No. 16 and the other hazards a city warns of); the four levels are fixed by the national system.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.TextChoices):
    """The four warning colours, lowest first: blue Ⅳ, yellow Ⅲ, orange Ⅱ, red Ⅰ."""

    BLUE = "blue", _("Blue (Ⅳ)")
    YELLOW = "yellow", _("Yellow (Ⅲ)")
    ORANGE = "orange", _("Orange (Ⅱ)")
    RED = "red", _("Red (Ⅰ)")


LEVEL_RANK = {level: rank for rank, level in enumerate(Level.values, start=1)}  # blue 1 … red 4
ROMAN = {"blue": "Ⅳ", "yellow": "Ⅲ", "orange": "Ⅱ", "red": "Ⅰ"}
# The colours' names in warnings' own (Chinese) texts: headlines, CAP zh-CN blocks.
COLOUR_NAMES = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}
# Signal colours on pages and maps (the national signal colours).
COLOURS = {"blue": "#1e6fd9", "yellow": "#f2c200", "orange": "#f07c00", "red": "#d7191c"}


def level_rank(level: str | None) -> int:
    return LEVEL_RANK.get(level or "", 0)


def level_of_rank(rank: int) -> str:
    return Level.values[rank - 1] if rank > 0 else ""


class WarningStatus(models.TextChoices):
    """draft → submitted (awaiting a commander's approval) → issued → lifted | expired; a draft or a
    submitted warning may be withdrawn. Updates of an issued warning keep it issued (a new version)."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting approval")
    ISSUED = "issued", _("In force")
    LIFTED = "lifted", _("Lifted")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


IN_FORCE = (WarningStatus.ISSUED,)
ENDED = (WarningStatus.LIFTED, WarningStatus.EXPIRED, WarningStatus.WITHDRAWN)


class Source(models.TextChoices):
    """Who issued the warning: CityWatch's own command centre (drafted by hand or from a proposal
    computed from the monitoring data), or an official issuer whose CAP was imported."""

    CITYWATCH = "citywatch", pgettext_lazy("warning source", "CityWatch")  # 本中心: ours, not the brand
    OFFICIAL = "official", _("Official issuer")


class Change(models.TextChoices):
    """What a version did (each version references the previous one)."""

    ISSUE = "issue", _("Issued")
    UPGRADE = "upgrade", _("Upgraded")
    DOWNGRADE = "downgrade", _("Downgraded")
    EXTEND = "extend", _("Extended")
    AREAS = "areas", _("Areas changed")
    UPDATE = "update", _("Updated")
    LIFT = "lift", _("Lifted")
    EXPIRE = "expire", _("Expired")


class MsgType(models.TextChoices):
    """CAP msgType of a version."""

    ALERT = "Alert", pgettext_lazy("CAP msgType", "Alert")
    UPDATE = "Update", pgettext_lazy("CAP msgType", "Update")
    CANCEL = "Cancel", pgettext_lazy("CAP msgType", "Cancel")


class ProposalStatus(models.TextChoices):
    """open: the signal holds above what was issued; issued: a warning was issued at its level;
    lapsed: the signal dropped below every level before anyone issued it; dismissed: a person said no."""

    OPEN = "open", _("Open")
    ISSUED = "issued", _("Issued")
    LAPSED = "lapsed", _("Lapsed")
    DISMISSED = "dismissed", _("Dismissed")


class CapCategory(models.TextChoices):
    """The CAP category of a hazard type."""

    MET = "Met", _("Meteorological")
    GEO = "Geo", _("Geophysical")
    FIRE = "Fire", _("Fire")
    ENV = "Env", _("Environmental")
    SAFETY = "Safety", _("Safety")
    OTHER = "Other", _("Other")


# The outbox events this app publishes, named for the pages (registered with notify in ``apps.py``).
EVENT_KIND_NAMES = {
    "warning.*": _("Every warning event"),
    "warning.proposed": _("Warning proposed"),
    "warning.proposal_dismissed": _("Warning proposal dismissed"),
    "warning.issued": _("Warning issued"),
    "warning.updated": _("Warning updated"),
    "warning.lifted": _("Warning lifted"),
    "warning.expired": _("Warning expired"),
}
