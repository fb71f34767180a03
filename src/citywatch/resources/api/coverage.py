# No `from __future__ import annotations`: ninja must see the real parameter types.
"""``GET /api/v1/coverage``: the grassroots coverage report (基层全覆盖).

Query parameters: ``level`` (street | community; both if absent), ``area_code`` (this area and the areas
beneath it; 404 if unknown or outside the caller's jurisdiction), ``only_gaps`` (true: only areas that
miss a requirement; the summary still counts all), ``format``:

* ``json`` (default): ``{"scope", "requirements", "summary", "rows", "count"}`` (see
  ``coverage.coverage_for``);
* ``geojson``: a FeatureCollection of the areas' points, properties flat (``met``, ``gaps``,
  ``<requirement>_count``, ``<requirement>_met`` for the requirements of the area's level) so a map can
  draw the gaps red; plus ``summary`` and ``scope``;
* ``csv``: an attachment (text/csv), one line per area.

``limit`` / ``offset`` page the areas (all of them if ``limit`` is absent); GeoJSON carries
``numberMatched`` (all areas) and ``numberReturned``, JSON ``count``, as the other list endpoints do.
"""

from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Schema
from pydantic import Field

from citywatch.resources import coverage
from citywatch.resources.api.router import router
from citywatch.resources.api.schemas import CoverageLayer, CoverageOut


class CoverageParams(Schema):
    level: Literal["street", "community"] | None = Field(
        None, description="street or community; both if absent"
    )
    area_code: str | None = Field(
        None, max_length=12, pattern=r"^\d{6,12}$", description="only this area and the areas beneath it"
    )
    only_gaps: bool = Field(False, description="only areas that miss at least one requirement")
    format: Literal["json", "geojson", "csv"] = "json"
    limit: int | None = Field(None, ge=1, le=100_000, description="at most this many areas (all if absent)")
    offset: int = Field(0, ge=0, le=100_000_000, description="skip this many areas")


CSV = {"text/csv": {"schema": {"type": "string"}}}


@router.get(
    "/coverage",
    response=CoverageOut | CoverageLayer,
    exclude_unset=True,  # a requirement that does not apply to an area's level stays out of its properties
    operation_id="coverage",
    url_name="coverage",
    summary="Grassroots coverage: shelter points, information officers, rescue teams, 一点两站",
    tags=["coverage"],
    openapi_extra={"responses": {200: {"content": CSV}}},
)
def coverage_report(request: HttpRequest, params: Query[CoverageParams]):
    """Per street and community of the caller's jurisdiction: each requirement met or not, with counts.
    Communities need a shelter point, a disaster information officer, a shelter demonstration point, a
    supply reserve station and a micro fire station; streets need a rescue team (at the street or any
    community beneath it). ``format=csv`` answers text/csv."""
    report = coverage.coverage_for(
        request.user, level=params.level, area_code=params.area_code, only_gaps=params.only_gaps
    )
    total = len(report["rows"])
    end = None if params.limit is None else params.offset + params.limit
    report["rows"] = report["rows"][params.offset : end]
    if params.format == "csv":
        response = HttpResponse(
            coverage.coverage_csv(report["rows"]).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
        suffix = f"-{params.area_code}" if params.area_code else ""
        response["Content-Disposition"] = f'attachment; filename="coverage{suffix}.csv"'
        return response
    if params.format == "geojson":
        collection = coverage.coverage_features(report["rows"])
        collection["numberMatched"] = total
        collection["summary"] = report["summary"]
        collection["scope"] = report["scope"]
        return collection
    report["count"] = total
    return report
