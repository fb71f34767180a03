"""Hazards, levels, states and rules of plans and responses.

Hazard types are data: ``HAZARDS`` (slug → name) lists the ones a city plans for, with the codes of the
warnings app's ``HazardType`` rows that warnings and notifications carry (``typhoon``, ``rainstorm``,
``geological_hazard``); earthquakes and hazardous chemicals are planned for but not warned of by signal;
``other`` takes the rest. Response levels are the
national four, Ⅳ (lowest) to Ⅰ (highest), stored as "4" … "1" like an incident's severity; a response level
has the colour of the warning level of the same number (Ⅳ blue … Ⅰ red), which its notifications carry.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

HAZARDS = {
    "typhoon": _("Typhoon"),
    "rainstorm": _("Rainstorm"),
    "flood": _("Flood"),
    "geological_hazard": _("Geological hazard"),
    "forest_fire": _("Forest fire"),
    "earthquake": _("Earthquake"),
    "hazardous_chemicals": _("Hazardous chemicals"),
    "gale": _("Gale"),
    "high_temperature": _("High temperature"),
    "other": _("Other"),
}


def hazard_label(slug: str) -> str:
    return str(HAZARDS.get(slug, slug))


class ResponseLevel(models.TextChoices):
    """Response levels, lowest first: Ⅳ … Ⅰ."""

    IV = "4", _("Level Ⅳ")
    III = "3", _("Level Ⅲ")
    II = "2", _("Level Ⅱ")
    I = "1", _("Level Ⅰ")  # noqa: E741


ROMAN = {"4": "Ⅳ", "3": "Ⅲ", "2": "Ⅱ", "1": "Ⅰ"}
# The warning colour of the same number (Ⅳ blue … Ⅰ red): notifications carry it as their level.
COLOUR = {"4": "blue", "3": "yellow", "2": "orange", "1": "red"}
LEVEL_OF_COLOUR = {colour: level for level, colour in COLOUR.items()}
# Spelling accepted in files and forms: "Ⅲ", "III", "3", "Ⅲ级", "三级".
LEVEL_SPELLINGS = {
    **{v: v for v in ROMAN},
    **{roman: v for v, roman in ROMAN.items()},
    **{f"{roman}级": v for v, roman in ROMAN.items()},
    "IV": "4",
    "III": "3",
    "II": "2",
    "I": "1",
    "四级": "4",
    "三级": "3",
    "二级": "2",
    "一级": "1",
}


def higher(a: str, b: str) -> bool:
    """Whether response level ``a`` is higher (more serious) than ``b`` (Ⅰ is the highest)."""
    return int(a) < int(b)


class ProposalRule(models.TextChoices):
    """How a warning of the plan's hazard proposes a response (DOMAIN.md §3.2): at the warning's level
    (typhoon), one level below it (rainstorm: a Ⅲ warning proposes Ⅳ, a Ⅳ warning nothing), or never."""

    SAME = "same", _("Same level as the warning")
    ONE_BELOW = "one_below", _("One level below the warning")
    NONE = "none", _("No proposal")


RULE_OFFSET = {ProposalRule.SAME: 0, ProposalRule.ONE_BELOW: 1}


class ResponseStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class ActionStatus(models.TextChoices):
    """A checklist action: open until done; withdrawn when the response goes below its level or ends."""

    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ProposalKind(models.TextChoices):
    START = "start", _("Start a response")
    UPGRADE = "upgrade", _("Upgrade the response")
    END = "end", _("End the response")


class ResponseProposalStatus(models.TextChoices):
    """open → accepted (a commander acted on it) | dismissed (a person said no) | superseded (a newer
    proposal for the same hazard and area replaced it)."""

    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")
    SUPERSEDED = "superseded", _("Superseded")


class EventKind(models.TextChoices):
    """Entries of a response's timeline."""

    STARTED = "started", _("Started")
    UPGRADED = "upgraded", _("Upgraded")
    DOWNGRADED = "downgraded", _("Downgraded")
    ENDED = "ended", _("Ended")
    ACTION_DONE = "action_done", _("Action done")
    ACTION_OVERDUE = "action_overdue", _("Action overdue")
    WARNING = "warning", _("Warning")
    PROPOSAL = "proposal", _("Response proposal")
    NOTE = "note", _("Note")


# What a proposal proposes, as a sentence (the log, the pages; %(level)s Ⅳ…Ⅰ, %(hazard)s, %(area)s).
PROPOSAL_TEXT = {
    ProposalKind.START: gettext_noop("proposed: start a level %(level)s %(hazard)s response for %(area)s"),
    ProposalKind.UPGRADE: gettext_noop(
        "proposed: upgrade the %(hazard)s response for %(area)s to level %(level)s"
    ),
    ProposalKind.END: gettext_noop("proposed: end the %(hazard)s response for %(area)s"),
}


# The outbox events this app publishes, named for the pages (registered with notify in ``apps.py``).
EVENT_KIND_NAMES = {
    "response.*": _("Every response event"),
    "response.started": _("Response started"),
    "response.changed": _("Response level changed"),
    "response.ended": _("Response ended"),
    "action.*": _("Every checklist action event"),
    "action.done": _("Checklist action done"),
    "action.overdue": _("Checklist action overdue"),
}
