"""Read paths of resources; every one starts from ``restrict(user, action)`` or ``access.get_for``."""

from __future__ import annotations

from citywatch.core import access
from citywatch.resources.kinds import Kind
from citywatch.resources.models import Depot, StockBalance, StockMovement


def records(kind: Kind):
    """Every record of the kind with what pages and the API read alongside it (its area, an expert's
    category, a ranger's checkpoint). Restrict it before reading: ``records_for`` / ``record_for``."""
    qs = kind.model._default_manager.all()
    if kind.located:
        qs = qs.select_related("area")
    if kind.slug == "rescue-teams":
        qs = qs.select_related("leader")
    if kind.slug == "experts":
        qs = qs.select_related("category")
    if kind.slug == "duty-people":
        qs = qs.select_related("checkpoint")
    return qs


def records_for(kind: Kind, user, action: str = "view"):
    return records(kind).restrict(user, action)


def record_for(kind: Kind, user, pk: int, action: str = "view"):
    """The record ``pk`` if the user may ``action`` it: 404 outside what they may see, 403 when they may
    see it but not ``action`` it (``access.get_for``)."""
    return access.get_for(user, records(kind), action, pk=pk)


def depots_for(user, action: str = "view"):
    return Depot.objects.restrict(user, action).select_related("area")


def balances_for(user):
    return StockBalance.objects.restrict(user, "view").select_related("depot", "item")


def movements_for(user):
    return StockMovement.objects.restrict(user, "view").select_related("depot", "item")
