# No `from __future__ import annotations`: the routes are built in a loop and ninja must see the real
# per-kind schema classes, not their names.
"""``/api/v1/resources/<kind>/``: list (JSON or GeoJSON), detail, create, update, delete for every kind in
``kinds.KINDS``. Built from the kinds table, so each kind has its own typed schemas in the OpenAPI
document; every write goes through ``actions.clean_record`` → ``actions.save_resource``, as the
importers, the pages and the forms do."""

from functools import partial
from typing import Literal

from django.http import HttpRequest
from ninja import Query
from ninja.responses import Status

from citywatch.core import access
from citywatch.core.errors import invalid_record
from citywatch.core.pagination import PageParams, feature, feature_collection, geojson, page, paged
from citywatch.core.routes import write_routes
from citywatch.resources import actions, queries
from citywatch.resources.api.router import router
from citywatch.resources.api.schemas import RECORD_IN, RECORD_OUT
from citywatch.resources.filters import FILTERS
from citywatch.resources.kinds import KINDS, Kind


def write(kind: Kind, request, payload, instance=None):
    """Check and save one record from an API body (a PATCH changes only the fields it sends)."""
    data = payload.model_dump(exclude_unset=True)
    crs = data.pop("crs", "wgs84")
    ctx = actions.Context.for_user(request.user, crs)
    fields, problems = actions.clean_record(kind, data, ctx, partial=instance is not None, instance=instance)
    if problems:
        raise invalid_record(problems)
    obj, _outcome = actions.save_resource(kind, fields, instance)
    return queries.records(kind).get(pk=obj.pk)


def _register(kind: Kind):
    slug = kind.slug
    name = slug.replace("-", "_")
    Filter = FILTERS[slug]
    In, Out = RECORD_IN[slug], RECORD_OUT[slug]

    def located(obj):
        return feature(obj, obj.location if kind.located else None)

    @router.get(
        f"/resources/{slug}/",
        response=paged(Out) | geojson(Out),
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
        """The records in your jurisdiction; ``format=geojson`` answers a FeatureCollection."""
        access.require(request.user, kind.model, "view")
        qs = filters.filter(queries.records_for(kind, request.user)).order_by("pk")
        if format == "geojson":
            return feature_collection(qs, paging, located)
        return page(qs, paging)

    @router.get(
        f"/resources/{slug}/{{int:pk}}",
        response=Out,
        operation_id=f"get_{name}",
        url_name=f"get_{name}",
        summary=f"One record of {slug}",
    )
    def get_record(request: HttpRequest, pk: int):
        return queries.record_for(kind, request.user, pk)

    write_routes(
        router,
        f"/resources/{slug}/",
        name=name,
        model=kind.model,
        schema_in=In,
        schema_out=Out,
        write=partial(write, kind),
        fetch=partial(queries.record_for, kind),
        create_summary=f"Create a record of {slug}",
        update_summary=f"Change fields of a record of {slug}",
    )

    @router.delete(
        f"/resources/{slug}/{{int:pk}}",
        response={204: None},
        operation_id=f"delete_{name}",
        summary=f"Delete a record of {slug}",
    )
    def delete_record(request: HttpRequest, pk: int):
        actions.delete_resource(kind, queries.record_for(kind, request.user, pk, "delete"))
        return Status(204, None)


for _kind in KINDS.values():
    _register(_kind)
