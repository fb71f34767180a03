"""Levels and states of the notification outbox."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """The four warning colours, lowest first (blue Ⅳ … red Ⅰ); a message may carry none ('')."""

    BLUE = "blue", _("Blue")
    YELLOW = "yellow", _("Yellow")
    ORANGE = "orange", _("Orange")
    RED = "red", _("Red")


# blue 1 … red 4; a message without a level ranks 0.
LEVEL_RANK = {level: rank for rank, level in enumerate(Level.values, start=1)}


def level_rank(level: str) -> int:
    return LEVEL_RANK.get(level, 0)


class DeliveryStatus(models.TextChoices):
    """pending → sending → sent | failed (will be retried) | dead (given up; a person may retry it)."""

    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed (will retry)")
    DEAD = "dead", _("Dead (given up)")


# The states a worker may claim a delivery from.
CLAIMABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class AttemptOutcome(models.TextChoices):
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed (will retry)")
    DEAD = "dead", _("Dead (given up)")
    LOST = "lost", _("Lost (worker stopped mid-send)")


# --- the names of event kinds and hazards -----------------------------------------------------------
# Each app owns its event kinds (``<thing>.<what happened>``) and registers their names, in the user's
# language, from its ``ready()`` (``register_kinds``); ``"warning.*"`` names the whole family. The pages
# show these names, never the codes; the codes stay in the API, MQTT topics and webhook bodies.
KIND_NAMES: dict[str, object] = {}
# Functions returning {hazard code: name in the request's language} (the warnings app's hazard types).
HAZARD_NAMERS: list = []


def register_kinds(names: dict) -> None:
    KIND_NAMES.update(names)


def register_hazard_names(namer) -> None:
    if namer not in HAZARD_NAMERS:
        HAZARD_NAMERS.append(namer)


def kind_name(kind: str) -> str:
    """An event kind (or a ``family.*`` filter) in words: its registered name, else its family's, else
    "other event"."""
    kind = kind or ""
    if kind in KIND_NAMES:
        return str(KIND_NAMES[kind])
    family = kind.split(".", 1)[0] + ".*"
    if family in KIND_NAMES:
        return str(KIND_NAMES[family])
    return str(_("Other event"))


def kind_choices() -> list[tuple[str, str]]:
    """(code, name) of every registered kind, each family first and then its kinds."""
    families = sorted({k.split(".", 1)[0] for k in KIND_NAMES})
    out = []
    for family in families:
        members = sorted(k for k in KIND_NAMES if k.startswith(family + ".") and not k.endswith(".*"))
        if family + ".*" in KIND_NAMES:
            out.append((family + ".*", kind_name(family + ".*")))
        out += [(k, kind_name(k)) for k in members]
    return out


def hazard_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for namer in HAZARD_NAMERS:
        names.update(namer())
    return names


def hazard_name(code: str, names: dict | None = None) -> str:
    names = hazard_names() if names is None else names
    return names.get(code) or str(_("Other hazard"))
