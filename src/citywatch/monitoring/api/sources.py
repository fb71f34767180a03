# No `from __future__ import annotations`: ninja must see the real parameter types.
"""``/api/v1/monitoring/sources/``: the departments' feeds — list with each feed's health (stations, stale
ones, newest reading, readings in the last hour and day, refused readings, dead letters), one source,
register and change one. Writes go through ``actions.sources``; reads are restricted to the caller's
jurisdiction."""

import datetime

from django.http import HttpRequest
from ninja import FilterSchema, Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field

from citywatch.core import access
from citywatch.core.pagination import PageParams, page, paged
from citywatch.monitoring.actions import sources as actions
from citywatch.monitoring.models import DataSource
from citywatch.monitoring.queries import sources as health
from citywatch.monitoring.queries import stations as queries

router = Router(tags=["monitoring"])


class SourceFilter(FilterSchema):
    q: str | None = Field(None, max_length=100, description="part of the name or department, or the code")
    active: bool | None = None

    def filter_q(self, value):
        from django.db.models import Q

        return Q(name__icontains=value) | Q(department__icontains=value) | Q(code=value) if value else Q()


class RejectCountOut(Schema):
    kind: str = Field(
        description="malformed, unknown_station, not_allowed, unknown_variable, not_a_number, "
        "out_of_range, bad_time, future_time, conflict or other"
    )
    label: str = Field(description="the kind in the request's language")
    count: int


class RecentRejectOut(Schema):
    at: datetime.datetime
    kind: str
    label: str = Field(description="the kind in the request's language")
    station: str = Field(description="the station id the feed sent")
    variable: str = Field(description="the variable code the feed sent")

    @staticmethod
    def resolve_label(obj) -> str:
        return str(obj.get_kind_display())


class HealthOut(Schema):
    state: str = Field(description="ok, degraded (some stations stale), down (all stale) or empty")
    stations: int
    stale: int
    last_reading: datetime.datetime | None
    readings_last_hour: int
    readings_last_day: int
    rejects_last_hour: int = Field(description="readings the ingestion refused this hour")
    rejects_last_day: int = Field(description="readings refused this hour and the 23 before")
    rejects_by_kind: list[RejectCountOut] = Field(description="the last day's refused readings by kind")
    recent_rejects: list[RecentRejectOut] = Field(description="the last refused readings, newest first")
    dead_letters_last_day: int
    last_dead_letter: str

    @staticmethod
    def resolve_rejects_by_kind(obj) -> list[dict]:
        return [{"kind": k, "label": str(label), "count": n} for k, label, n in obj.rejects_by_kind]


class SourceOut(Schema):
    id: int
    code: str
    name: str
    department: str
    category: str
    contact: str
    expected_interval_minutes: int
    stale_after_minutes: int
    area_code: str
    area_name: str
    active: bool
    synthetic: bool
    notes: str
    health: HealthOut

    @staticmethod
    def resolve_area_code(obj) -> str:
        return obj.area.code

    @staticmethod
    def resolve_area_name(obj) -> str:
        return obj.area.name


class SourceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(None, max_length=48, description="lower-case letters, digits, - and _")
    name: str | None = Field(None, max_length=200)
    department: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=100)
    contact: str | None = Field(None, max_length=200)
    expected_interval_minutes: int | None = Field(None, ge=1, le=10080)
    area_code: str | None = Field(None, max_length=12, description="the area it belongs to (default: yours)")
    active: bool | None = None
    notes: str | None = Field(None, max_length=2000)


def _write(request, payload: SourceIn, instance=None):
    data = {
        k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None or k == "area_code"
    }
    fields, problems = actions.clean_source(data, request.user, instance=instance)
    if problems:
        raise actions.refuse(problems)
    obj, _outcome = actions.save_source(fields, instance)
    return health.attach_health([queries.source_for(request.user, obj.pk)])[0]


@router.get(
    "/monitoring/sources/",
    response=paged(SourceOut),
    operation_id="list_sources",
    url_name="list_sources",
    summary="List data sources with their feed health",
)
def list_sources(request: HttpRequest, filters: Query[SourceFilter], paging: Query[PageParams]):
    access.require(request.user, DataSource, "view")
    result = page(filters.filter(queries.sources_for(request.user)).order_by("name", "pk"), paging)
    result["items"] = health.attach_health(result["items"])
    return result


@router.get(
    "/monitoring/sources/{int:pk}",
    response=SourceOut,
    operation_id="get_source",
    url_name="get_source",
    summary="One data source with its feed health",
)
def get_source(request: HttpRequest, pk: int):
    return health.attach_health([queries.source_for(request.user, pk)])[0]


@router.post(
    "/monitoring/sources/",
    response={201: SourceOut},
    operation_id="create_source",
    summary="Register a data source",
)
def create_source(request: HttpRequest, payload: SourceIn):
    access.require(request.user, DataSource, "add")
    return Status(201, _write(request, payload))


@router.patch(
    "/monitoring/sources/{int:pk}",
    response=SourceOut,
    operation_id="update_source",
    summary="Change fields of a data source",
)
def update_source(request: HttpRequest, pk: int, payload: SourceIn):
    return _write(request, payload, queries.source_for(request.user, pk, "change"))
