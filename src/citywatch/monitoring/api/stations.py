# No `from __future__ import annotations`: ninja must see the real parameter types.
"""``/api/v1/monitoring/stations/``: the station registry — list (JSON, or GeoJSON with ``format=geojson``:
what the station map draws), one station with its state, create, change, delete, import and export
(CSV, XLSX, GeoJSON; GCJ-02 / BD-09 input). Writes go through ``actions.stations`` as the importer's do;
every answer is restricted to the caller's jurisdiction."""

import datetime
from typing import ClassVar, Literal

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import File, FilterSchema, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import ConfigDict, Field

from citywatch.core import access, importing
from citywatch.core.errors import invalid_record
from citywatch.core.filters import AreaParam, BboxFilter, area_q
from citywatch.core.importing import ImportFailed
from citywatch.core.pagination import PageParams, feature, feature_collection, geojson, page, paged
from citywatch.core.routes import write_routes
from citywatch.monitoring.actions import stations as actions
from citywatch.monitoring.choices import AlarmLevel, StationKind, StationStatus
from citywatch.monitoring.importers import stations as importers
from citywatch.monitoring.models import Station
from citywatch.monitoring.queries import stations as queries
from citywatch.resources.api.schemas import ImportReportOut

router = Router(tags=["monitoring"])

STATES = ("normal", "stale", *AlarmLevel.values)
EXPORT_CONTENT = {
    t: {"schema": {"type": "string", "format": "binary"}}
    for t in (
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/geo+json",
    )
}


class StationFilter(BboxFilter):
    bbox_fields: ClassVar[tuple[str, ...]] = ("location",)

    kind: StationKind | None = Field(None, description="station kind")
    source: str | None = Field(
        None, max_length=48, pattern=r"^[a-z0-9][a-z0-9_-]*$", description="source code"
    )
    status: StationStatus | None = None
    area: AreaParam = None
    q: str | None = Field(None, max_length=100, description="part of the name, or the external id")

    def filter_source(self, value):
        return Q(source__code=value) if value else Q()

    def filter_area(self, value):
        return area_q(value, "area__path")

    def filter_q(self, value):
        return Q(name__icontains=value) | Q(external_id__iexact=value) if value else Q()


class StateFilter(FilterSchema):
    state: Literal["normal", "stale", "blue", "yellow", "orange", "red", "alarm"] | None = Field(
        None, description="only stations in this state (alarm: any level)"
    )


class LatestOut(Schema):
    variable: str
    name: str
    unit: str
    value: float
    time: datetime.datetime


class StationOut(Schema):
    id: int
    external_id: str
    name: str
    kind: str
    kind_label: str = Field(alias="get_kind_display")
    source: str = Field(alias="source.code")
    source_name: str = Field(alias="source.name")
    department: str = Field(alias="source.department")
    area_code: str = Field(alias="area.code")
    area_name: str = Field(alias="area.name")
    lon: float
    lat: float
    elevation_m: float | None
    status: str
    status_label: str = Field(alias="get_status_display")
    synthetic: bool
    notes: str
    input_crs: str
    last_seen_at: datetime.datetime | None
    stale: bool = Field(description="no reading for three times the source's interval")
    level: str = Field(description="the worst live alarm's level (current evaluation first); empty: none")
    live_alarms: int = Field(description="live rule alarms")
    state: str = Field(description="the map's colour: a level, normal or stale")
    latest: list[LatestOut] = Field(description="readings at the newest time")

    @staticmethod
    def resolve_lon(obj) -> float:
        return round(obj.location.x, 7)

    @staticmethod
    def resolve_lat(obj) -> float:
        return round(obj.location.y, 7)


class StationIn(Schema):
    """A station's exchange columns (all optional so that PATCH can send some; a new station needs
    source, external_id, name, kind, lon and lat). Without area_code the area is found from the point."""

    model_config = ConfigDict(extra="forbid")

    source: str | None = Field(None, max_length=200, description="source code")
    external_id: str | None = Field(None, max_length=64)
    name: str | None = Field(None, max_length=200)
    kind: str | None = Field(None, max_length=24, description=", ".join(StationKind.values))
    lon: float | None = None
    lat: float | None = None
    area_code: str | None = Field(None, max_length=12)
    elevation_m: float | None = None
    status: str | None = Field(None, max_length=16, description=", ".join(StationStatus.values))
    notes: str | None = Field(None, max_length=2000)
    crs: Literal["wgs84", "gcj02", "bd09"] = Field("wgs84", description="coordinate system of lon/lat")


def _with_state(stations):
    return queries.attach_state(list(stations))


def _state_q(qs, state: str | None, rows):
    if state is None:
        return rows
    if state == "alarm":
        return [s for s in rows if s.level]
    return [s for s in rows if s.state == state]


def write(request, payload: StationIn, instance=None) -> Station:
    data = payload.model_dump(exclude_unset=True)
    crs = data.pop("crs", "wgs84")
    for name in ("lon", "lat"):
        if name in data and data[name] is None:
            data.pop(name)
    ctx = actions.Context.for_user(request.user, crs)
    fields, problems = actions.clean_station(data, ctx, partial=instance is not None, instance=instance)
    if problems:
        raise invalid_record(problems)
    obj, _outcome = actions.save_station(fields, instance)
    station = queries.station_for(request.user, obj.pk)
    return _with_state([station])[0]


@router.get(
    "/monitoring/stations/",
    response=paged(StationOut) | geojson(StationOut),
    operation_id="list_stations",
    url_name="list_stations",
    summary="List stations (JSON or GeoJSON), with their state",
)
def list_stations(
    request: HttpRequest,
    filters: Query[StationFilter],
    state: Query[StateFilter],
    paging: Query[PageParams],
    format: Literal["json", "geojson"] = "json",
):
    """The stations in your jurisdiction with their newest readings, worst live alarm and staleness;
    ``format=geojson`` answers a FeatureCollection (the station map)."""
    access.require(request.user, Station, "view")
    qs = filters.filter(queries.stations_for(request.user)).order_by("pk")
    if state.state is not None:
        rows = _state_q(qs, state.state, _with_state(qs))
        count = len(rows)
        rows = rows[paging.offset : paging.offset + paging.limit]
        if format == "geojson":
            return {"type": "FeatureCollection", "numberMatched": count, "numberReturned": len(rows),
                    "features": [feature(s, s.location) for s in rows]}  # fmt: skip
        nxt = paging.offset + paging.limit
        return {"count": count, "limit": paging.limit, "offset": paging.offset,
                "next_offset": nxt if nxt < count else None, "items": rows}  # fmt: skip
    if format == "geojson":
        collection = feature_collection(qs, paging, lambda s: s)
        stations = _with_state(collection["features"])
        collection["features"] = [feature(s, s.location) for s in stations]
        return collection
    result = page(qs, paging)
    result["items"] = _with_state(result["items"])
    return result


@router.get(
    "/monitoring/stations/export",
    response={200: None},
    operation_id="export_stations",
    summary="Export stations as a file",
    openapi_extra={"responses": {200: {"description": "the file", "content": EXPORT_CONTENT}}},
)
def export_stations(request: HttpRequest, format: Literal["csv", "xlsx", "geojson"] = "csv"):
    """The stations the caller may see, as a download (the import's columns)."""
    access.require(request.user, Station, "view")
    data, content_type, filename = importers.export_stations(request.user, format)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.post(
    "/monitoring/stations/import",
    response=ImportReportOut,
    operation_id="import_stations",
    summary="Import stations from a file",
)
def import_stations(
    request: HttpRequest,
    file: File[UploadedFile],
    crs: Form[Literal["wgs84", "gcj02", "bd09"]] = "wgs84",
    dry_run: Form[bool] = False,
):
    """Every row is checked first; any problem and nothing is written (422 lists them)."""
    try:
        return importers.import_upload(file, user=request.user, crs=crs, dry_run=dry_run)
    except ImportFailed as exc:
        raise importing.refusal(exc) from None


@router.get(
    "/monitoring/stations/{int:pk}",
    response=StationOut,
    operation_id="get_station",
    url_name="get_station",
    summary="One station with its state",
)
def get_station(request: HttpRequest, pk: int):
    return _with_state([queries.station_for(request.user, pk)])[0]


write_routes(
    router,
    "/monitoring/stations/",
    name="station",
    model=Station,
    schema_in=StationIn,
    schema_out=StationOut,
    write=write,
    fetch=queries.station_for,
    create_summary="Register a station",
    update_summary="Change fields of a station",
)


@router.delete(
    "/monitoring/stations/{int:pk}",
    response={204: None},
    operation_id="delete_station",
    summary="Delete a station (with its readings and alarms)",
)
def delete_station(request: HttpRequest, pk: int):
    actions.delete_station(queries.station_for(request.user, pk, "delete"))
    return Status(204, None)
