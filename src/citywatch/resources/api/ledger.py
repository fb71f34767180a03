# No `from __future__ import annotations`: ninja must see the real parameter types.
"""The stock ledger: ``GET``/``POST /api/v1/resources/stock-movements/`` and a depot's balances."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query
from ninja.responses import Status

from citywatch.core import access
from citywatch.core.errors import Invalid, NotFound
from citywatch.core.pagination import PageParams, page, paged
from citywatch.resources import actions, queries
from citywatch.resources.api.router import router
from citywatch.resources.api.schemas import BalanceOut, MovementIn, MovementOut
from citywatch.resources.filters import MovementFilter
from citywatch.resources.kinds import KINDS
from citywatch.resources.models import Depot, StockBalance, StockMovement, SupplyItem


@router.get("/resources/stock-movements/", response=paged(MovementOut), summary="The stock ledger")
def list_movements(request: HttpRequest, filters: Query[MovementFilter], paging: Query[PageParams]):
    """Ledger lines of the depots in your jurisdiction, newest first."""
    access.require(request.user, StockMovement, "view")
    return page(filters.filter(queries.movements_for(request.user)), paging)


@router.post(
    "/resources/stock-movements/", response={201: list[MovementOut]}, summary="Record a stock movement"
)
def create_movement(request: HttpRequest, payload: MovementIn):
    """Receipts, issues, adjustments and expiry write-offs add one ledger line; a transfer adds two.
    Anything that would take a balance below zero is refused with 409 and writes nothing."""
    access.require(request.user, StockMovement, "add")
    depot = access.get_for(request.user, queries.depots_for(request.user), pk=payload.depot)
    item = SupplyItem.objects.filter(code=payload.item).first()
    if item is None:
        raise Invalid(_("unknown supply item %(code)s") % {"code": repr(payload.item)})
    if payload.kind == "transfer":
        if payload.to_depot is None:
            raise Invalid(_("a transfer needs to_depot"))
        try:
            target = access.get_for(request.user, Depot, pk=payload.to_depot)
        except NotFound:
            raise NotFound(_("no such receiving depot in your jurisdiction")) from None
        out, inn = actions.transfer(
            depot, target, item, payload.quantity, reference=payload.reference, user=request.user
        )
        return Status(201, [out, inn])
    if payload.to_depot is not None:
        raise Invalid(_("to_depot is only for transfers"))
    movement = actions.record_movement(
        depot,
        item,
        payload.kind,
        payload.quantity,
        reference=payload.reference,
        note=payload.note,
        user=request.user,
    )
    return Status(201, [movement])


@router.get("/resources/depots/{int:pk}/stock", response=list[BalanceOut], summary="A depot's stock balances")
def depot_stock(request: HttpRequest, pk: int):
    depot = queries.record_for(KINDS["depots"], request.user, pk)
    access.require(request.user, StockBalance, "view")
    return queries.balances_for(request.user).filter(depot=depot).order_by("item__code")
