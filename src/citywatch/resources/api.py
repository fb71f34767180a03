# No `from __future__ import annotations`: the routes are built in a loop and ninja must see the real
# per-kind schema classes, not their names.
"""Resources API under /api/v1/resources/<kind>/: list (JSON or GeoJSON), detail, create, update,
delete for every kind in ``kinds.KINDS``; the stock ledger; shelter occupancy. Built from the kinds
table, so each kind gets its own typed schema in the OpenAPI document."""

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import ConfigDict, Field, create_model

from citywatch.core.errors import Invalid
from citywatch.core.pagination import PageParams, page
from citywatch.resources import actions, queries
from citywatch.resources.filters import FILTERS
from citywatch.resources.kinds import KINDS, Kind
from citywatch.resources.models import Depot, Shelter, SupplyItem
from citywatch.resources.serializers import api_record, feature

router = Router(tags=["resources"])


def raise_problems(problems):
    raise Invalid(
        _("The record is not valid: %(problems)s")
        % {"problems": "; ".join(f"{p.column}: {p.message}" for p in problems)},
        [{"column": p.column, "message": p.message} for p in problems],
    )


NOT_ALLOWED = {
    "add": gettext_noop("you may not add %(things)s"),
    "change": gettext_noop("you may not change %(things)s"),
    "delete": gettext_noop("you may not delete %(things)s"),
    "view": gettext_noop("you may not view %(things)s"),
}


def _need(user, kind_model, action):
    opts = kind_model._meta
    if not user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
        raise PermissionDenied(_(NOT_ALLOWED[action]) % {"things": opts.verbose_name_plural})


def input_schema(kind: Kind) -> type[Schema]:
    fields: dict[str, Any] = {}
    for column in kind.all_columns:
        annotation = column.api_type
        if column.name in ("lon", "lat"):
            annotation = float | None
        fields[column.name] = (annotation | None, Field(None, description=str(column.label)))
    fields["crs"] = (
        Literal["wgs84", "gcj02", "bd09"],
        Field("wgs84", description="coordinate system of lon/lat"),
    )
    return create_model(f"{kind.model.__name__}In", __base__=StrictSchema, **fields)


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


def _register(kind: Kind):
    slug = kind.slug
    name = slug.replace("-", "_")
    Filter = FILTERS[slug]
    In = input_schema(kind)

    @router.get(
        f"/resources/{slug}/",
        response=dict[str, Any],
        operation_id=f"list_{name}",
        url_name=f"list_{name}",
        summary=f"List {slug}",
    )
    def list_records(
        request: HttpRequest,
        filters: Query[Filter],
        paging: Query[PageParams],
        format: Literal["json", "geojson"] = "json",
    ):
        qs = filters.filter(queries.records_for(kind, request.user)).order_by("pk")
        if format == "geojson":
            count = qs.count()
            rows = list(qs[paging.offset : paging.offset + paging.limit])
            return {
                "type": "FeatureCollection",
                "numberMatched": count,
                "numberReturned": len(rows),
                "features": [feature(kind, r) for r in rows],
            }
        return page(qs, paging, lambda obj: api_record(kind, obj))

    @router.get(
        f"/resources/{slug}/{{int:pk}}",
        response=dict[str, Any],
        operation_id=f"get_{name}",
        url_name=f"get_{name}",
        summary=f"One record of {slug}",
    )
    def get_record(request: HttpRequest, pk: int):
        return api_record(kind, queries.record_for(kind, request.user, pk))

    def write(request, payload, instance=None, partial=False):
        data = payload.model_dump(exclude_unset=True)
        crs = data.pop("crs", "wgs84")
        ctx = actions.Context.for_user(request.user, crs)
        fields, problems = actions.clean_record(kind, data, ctx, partial=partial, instance=instance)
        if problems:
            raise_problems(problems)
        obj, _outcome = actions.save_resource(kind, fields, instance)
        return api_record(kind, queries.record_for(kind, request.user, obj.pk))

    @router.post(
        f"/resources/{slug}/",
        response={201: dict[str, Any]},
        operation_id=f"create_{name}",
        summary=f"Create a record of {slug}",
    )
    def create_record(request: HttpRequest, payload: In):
        _need(request.user, kind.model, "add")
        return Status(201, write(request, payload))

    @router.patch(
        f"/resources/{slug}/{{int:pk}}",
        response=dict[str, Any],
        operation_id=f"update_{name}",
        summary=f"Change fields of a record of {slug}",
    )
    def update_record(request: HttpRequest, pk: int, payload: In):
        instance = queries.record_for(kind, request.user, pk)
        _need(request.user, kind.model, "change")
        instance = queries.record_for(kind, request.user, pk, "change")
        return write(request, payload, instance, partial=True)

    @router.delete(
        f"/resources/{slug}/{{int:pk}}",
        response={204: None},
        operation_id=f"delete_{name}",
        summary=f"Delete a record of {slug}",
    )
    def delete_record(request: HttpRequest, pk: int):
        queries.record_for(kind, request.user, pk)
        _need(request.user, kind.model, "delete")
        actions.delete_resource(kind, queries.record_for(kind, request.user, pk, "delete"))
        return HttpResponse(status=204)


for _kind in KINDS.values():
    _register(_kind)


# --- Stock ledger ---------------------------------------------------------------------------------


class MovementIn(StrictSchema):
    depot: int = Field(description="id of the depot")
    item: str = Field(max_length=32, description="supply item code")
    kind: Literal["receipt", "issue", "transfer", "adjustment", "expiry"]
    quantity: Decimal = Field(
        description="positive; an adjustment may be negative", max_digits=14, decimal_places=3
    )
    to_depot: int | None = Field(None, description="for a transfer: the receiving depot")
    reference: str = Field("", max_length=100)
    note: str = Field("", max_length=200)


class MovementOut(Schema):
    id: int
    time: datetime.datetime
    depot: int
    depot_name: str
    item: str
    item_name: str
    unit: str
    kind: str
    delta: Decimal
    balance_after: Decimal
    reference: str
    note: str
    counterpart: int | None


def movement_out(m) -> dict:
    return {
        "id": m.pk,
        "time": m.time,
        "depot": m.depot_id,
        "depot_name": m.depot.name,
        "item": m.item.code,
        "item_name": m.item.name,
        "unit": m.item.unit,
        "kind": m.kind,
        "delta": m.delta,
        "balance_after": m.balance_after,
        "reference": m.reference,
        "note": m.note,
        "counterpart": m.counterpart_id,
    }


class MovementFilter(Schema):
    depot: int | None = None
    item: str | None = Field(None, max_length=32)
    kind: Literal["receipt", "issue", "transfer_out", "transfer_in", "adjustment", "expiry"] | None = None


@router.get("/resources/stock-movements/", response=dict[str, Any], summary="The stock ledger")
def list_movements(request: HttpRequest, filters: Query[MovementFilter], paging: Query[PageParams]):
    qs = queries.movements_for(request.user)
    if filters.depot is not None:
        qs = qs.filter(depot_id=filters.depot)
    if filters.item:
        qs = qs.filter(item__code=filters.item)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return page(qs, paging, movement_out)


@router.post(
    "/resources/stock-movements/", response={201: list[MovementOut]}, summary="Record a stock movement"
)
def create_movement(request: HttpRequest, payload: MovementIn):
    """Receipts, issues, adjustments and expiry write-offs add one ledger line; a transfer adds two.
    Anything that would take a balance below zero is refused with 409 and writes nothing."""
    _need(request.user, Depot, "view")
    from citywatch.resources.models import StockMovement

    _need(request.user, StockMovement, "add")
    depot = queries.depots_for(request.user).filter(pk=payload.depot).first()
    if depot is None:
        raise HttpError(404, _("no such depot in your jurisdiction"))
    item = SupplyItem.objects.filter(code=payload.item).first()
    if item is None:
        raise HttpError(422, _("unknown supply item %(code)s") % {"code": repr(payload.item)})
    if payload.kind == "transfer":
        if payload.to_depot is None:
            raise HttpError(422, _("a transfer needs to_depot"))
        target = queries.depots_for(request.user).filter(pk=payload.to_depot).first()
        if target is None:
            raise HttpError(404, _("no such receiving depot in your jurisdiction"))
        out, inn = actions.transfer(
            depot, target, item, payload.quantity, reference=payload.reference, user=request.user
        )
        return Status(201, [movement_out(out), movement_out(inn)])
    if payload.to_depot is not None:
        raise HttpError(422, _("to_depot is only for transfers"))
    movement = actions.record_movement(
        depot,
        item,
        payload.kind,
        payload.quantity,
        reference=payload.reference,
        note=payload.note,
        user=request.user,
    )
    return Status(201, [movement_out(movement)])


class BalanceOut(Schema):
    item: str
    item_name: str
    category: str
    unit: str
    quantity: Decimal


@router.get("/resources/depots/{int:pk}/stock", response=list[BalanceOut], summary="A depot's stock balances")
def depot_stock(request: HttpRequest, pk: int):
    depot = queries.record_for(KINDS["depots"], request.user, pk)
    balances = queries.balances_for(request.user).filter(depot=depot).order_by("item__code")
    return [
        {
            "item": b.item.code,
            "item_name": b.item.name,
            "category": b.item.category,
            "unit": b.item.unit,
            "quantity": b.quantity,
        }
        for b in balances
    ]


# --- Shelter occupancy ----------------------------------------------------------------------------


class OccupancyIn(StrictSchema):
    occupancy: int = Field(ge=0, le=10**7)
    status: Literal["open", "closed", "full"] | None = None


@router.post("/resources/shelters/{int:pk}/occupancy", response=dict[str, Any], summary="Report occupancy")
def report_occupancy(request: HttpRequest, pk: int, payload: OccupancyIn):
    kind = KINDS["shelters"]
    queries.record_for(kind, request.user, pk)
    _need(request.user, Shelter, "change")
    shelter = queries.record_for(kind, request.user, pk, "change")
    actions.set_shelter_occupancy(shelter, payload.occupancy, payload.status)
    return api_record(kind, queries.record_for(kind, request.user, pk))


@router.get(
    "/resources/shelters/{int:pk}/occupancy", response=list[dict[str, Any]], summary="Occupancy history"
)
def occupancy_history(request: HttpRequest, pk: int):
    shelter = queries.record_for(KINDS["shelters"], request.user, pk)
    return [
        {"time": h.time.isoformat(), "occupancy": h.occupancy, "status": h.status}
        for h in shelter.occupancy_history.all()[:500]
    ]
