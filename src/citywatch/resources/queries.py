"""Read paths of resources; every one starts from ``restrict(user, action)``."""

from __future__ import annotations

from django.http import Http404

from citywatch.resources.kinds import Kind
from citywatch.resources.models import Depot, StockBalance, StockMovement


def records_for(kind: Kind, user, action: str = "view"):
    qs = kind.model.objects.restrict(user, action)
    if kind.located:
        qs = qs.select_related("area")
    if kind.slug == "experts":
        qs = qs.select_related("category")
    if kind.slug == "duty-people":
        qs = qs.select_related("checkpoint")
    return qs


def record_for(kind: Kind, user, pk: int, action: str = "view"):
    obj = records_for(kind, user, action).filter(pk=pk).first()
    if obj is None:
        raise Http404(f"no such {kind.slug} record in your jurisdiction")
    return obj


def depots_for(user, action: str = "view"):
    return Depot.objects.restrict(user, action).select_related("area")


def balances_for(user):
    return StockBalance.objects.restrict(user, "view").select_related("depot", "item")


def movements_for(user):
    return StockMovement.objects.restrict(user, "view").select_related("depot", "item")
