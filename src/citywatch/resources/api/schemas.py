# No `from __future__ import annotations`: the record schemas are built in a loop with create_model and
# ninja must see real classes.
"""The typed contract of the resources API: what each route reads and answers.

Records: one input and one output schema per kind, generated from the kinds table (``kinds.KINDS``) —
``<Model>In`` (the exchange columns, every one optional so that PATCH can send some; ``crs`` says which
system lon/lat are in) and ``<Model>Out`` (the record's id, its exchange columns, where it is, the labels
of its choice fields, when it last changed). Handlers return model instances; these schemas read them.
"""

import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, create_model

from citywatch.core.pagination import geojson
from citywatch.resources.coverage import REQUIREMENT_KEYS
from citywatch.resources.kinds import KINDS, Column, Kind


class StrictSchema(Schema):
    """An input schema that refuses fields it does not know (a typo is a 422, not silently ignored)."""

    model_config = ConfigDict(extra="forbid")


# --- records ---------------------------------------------------------------------------------------


def record_in(kind: Kind) -> type[Schema]:
    fields: dict[str, Any] = {}
    for column in kind.all_columns:
        annotation = float | None if column.name in ("lon", "lat") else column.api_type
        fields[column.name] = (annotation | None, Field(None, description=str(column.label)))
    fields["crs"] = (
        Literal["wgs84", "gcj02", "bd09"],
        Field("wgs84", description="coordinate system of lon/lat"),
    )
    return create_model(f"{kind.model.__name__}In", __base__=StrictSchema, **fields)


class LocatedRecord(Schema):
    """What every located record answers besides its kind's columns: where it is, computed."""

    @staticmethod
    def resolve_lon(obj) -> float | None:
        return round(obj.location.x, 7) if obj.location else None

    @staticmethod
    def resolve_lat(obj) -> float | None:
        return round(obj.location.y, 7) if obj.location else None

    @staticmethod
    def resolve_area_code(obj) -> str | None:
        return obj.area.code if obj.area_id else None

    @staticmethod
    def resolve_area_name(obj) -> str | None:
        return obj.area.name if obj.area_id else None


def _out_type(kind: Kind, column: Column):
    if column.name in ("lon", "lat"):
        return float | None
    if column.name == "area_code":
        return str | None
    if column.ref is not None:
        return str
    field = kind.model._meta.get_field(column.field)
    return column.api_type | None if field.null else column.api_type


def _ref_value(column: Column):
    return staticmethod(lambda obj: column.write(getattr(obj, column.field)))


def _shown(column: Column):
    return staticmethod(lambda obj: column.show(getattr(obj, column.field)) or None)


def _field_value(column: Column):
    return staticmethod(lambda obj: getattr(obj, column.field))


def _label(name: str):
    return staticmethod(lambda obj: str(getattr(obj, f"get_{name}_display")()))


def label_fields(kind: Kind) -> list[str]:
    """The kind's choice fields: each is answered with its label too (``status`` → ``status_label``)."""
    return [f.name for f in kind.model._meta.fields if f.choices]


def record_out(kind: Kind) -> type[Schema]:
    fields: dict[str, Any] = {"id": (int, ...)}
    resolvers: dict[str, Any] = {}
    for column in kind.all_columns:
        fields[column.name] = (_out_type(kind, column), Field(description=str(column.label)))
        if column.ref is not None:
            resolvers[f"resolve_{column.name}"] = _ref_value(column)
            if column.show is not None:
                fields[f"{column.name}_name"] = (
                    str | None,
                    Field(description=f"{column.label}: as people read it"),
                )
                resolvers[f"resolve_{column.name}_name"] = _shown(column)
        elif column.field != column.name:
            resolvers[f"resolve_{column.name}"] = _field_value(column)
    if kind.located:
        fields["area_name"] = (str | None, ...)
        fields["synthetic"] = (bool, Field(description="synthetic demo data, not a real record"))
        fields["input_crs"] = (str, Field(description="the coordinate system the location arrived in"))
    for name in label_fields(kind):
        fields[f"{name}_label"] = (str, ...)
        resolvers[f"resolve_{name}_label"] = _label(name)
    fields["updated_at"] = (datetime.datetime | None, None)
    return create_model(
        f"{kind.model.__name__}Out",
        __base__=LocatedRecord if kind.located else Schema,
        __namespace__=resolvers,
        **fields,
    )


RECORD_IN = {slug: record_in(kind) for slug, kind in KINDS.items()}
RECORD_OUT = {slug: record_out(kind) for slug, kind in KINDS.items()}


# --- the stock ledger ------------------------------------------------------------------------------


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


class ItemLine(Schema):
    """A line about one supply item: its code, name and unit."""

    item: str = Field(alias="item.code")
    item_name: str = Field(alias="item.name")
    unit: str = Field(alias="item.unit")


class MovementOut(ItemLine):
    id: int
    time: datetime.datetime
    depot: int = Field(alias="depot_id")
    depot_name: str = Field(alias="depot.name")
    kind: str
    delta: Decimal = Field(description="what the line added to (or took from) the balance")
    balance_after: Decimal
    reference: str
    note: str
    counterpart: int | None = Field(alias="counterpart_id", description="the other line of a transfer")


class BalanceOut(ItemLine):
    category: str = Field(alias="item.category")
    quantity: Decimal


# --- shelter occupancy -----------------------------------------------------------------------------


class OccupancyIn(StrictSchema):
    occupancy: int = Field(ge=0, le=10**7)
    status: Literal["open", "closed", "full"] | None = None


class OccupancyOut(Schema):
    time: datetime.datetime
    occupancy: int
    status: str


# --- import ----------------------------------------------------------------------------------------


class ImportReportOut(Schema):
    """What an import wrote (or, with ``dry_run``, would write)."""

    kind: str
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    notes: list[str]
    summary: str


# --- grassroots coverage ---------------------------------------------------------------------------


class CoverageScope(Schema):
    area_code: str | None
    area_name: str | None
    level: str | None
    only_gaps: bool


class RequirementOut(Schema):
    key: str
    level: Literal["street", "community"]
    label: str


class LevelSummary(Schema):
    areas: int
    met: int
    with_gaps: int


class RequirementSummary(Schema):
    areas: int
    met: int
    unmet: int


class CoverageSummary(Schema):
    areas: int
    met: int
    with_gaps: int
    by_level: dict[str, LevelSummary]
    by_requirement: dict[str, RequirementSummary]


class RequirementState(Schema):
    met: bool
    count: int


class CoverageRow(Schema):
    code: str
    name: str
    level: Literal["street", "community"]
    parent_code: str | None
    parent_name: str | None
    district_code: str | None
    district_name: str | None
    lon: float | None
    lat: float | None
    requirements: dict[str, RequirementState] = Field(description="the requirements of the area's level")
    gaps: list[str]
    met: bool


class CoverageOut(Schema):
    scope: CoverageScope
    requirements: list[RequirementOut]
    summary: CoverageSummary
    rows: list[CoverageRow]
    count: int = Field(description="areas in the report (before limit/offset)")


def _coverage_properties() -> type[Schema]:
    flat: dict[str, Any] = {}
    for key in REQUIREMENT_KEYS:  # only the requirements of the area's level are present
        flat[f"{key}_count"] = (int | None, None)
        flat[f"{key}_met"] = (bool | None, None)
    return create_model(
        "CoverageProperties",
        __base__=Schema,
        code=(str, ...),
        name=(str, ...),
        level=(Literal["street", "community"], ...),
        parent_code=(str | None, ...),
        parent_name=(str | None, ...),
        district_code=(str | None, ...),
        district_name=(str | None, ...),
        met=(bool, ...),
        gap_count=(int, ...),
        gaps=(str, Field(description="the unmet requirements, ;-separated")),
        **flat,
    )


CoverageProperties = _coverage_properties()
# The GeoJSON answer of /coverage: the areas as points, with the report's summary and scope.
CoverageLayer = create_model(
    "CoverageLayer",
    __base__=geojson(CoverageProperties),
    summary=(CoverageSummary, ...),
    scope=(CoverageScope, ...),
)
