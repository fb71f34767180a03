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
