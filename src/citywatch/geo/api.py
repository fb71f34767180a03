"""Travel-time and exposure API of the geo library: routes, isochrones, the population heat map.

Points arrive as WGS-84 longitude/latitude, or GCJ-02 / BD-09 with ``crs`` (converted at the edge by
``core.inputs``, which refuses a conversion that leaves the valid range). Without a road network the
engine answers in estimated mode and every answer says so (``network``). The nearby analysis, which
reads the resource registry, is the resources app's (``resources/nearby.py``): this library imports no
domain app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import shapely
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from citywatch.core import inputs
from citywatch.core.errors import Invalid
from citywatch.core.pagination import Geometry
from citywatch.geo import population, routing
from citywatch.geo.routing import Isochrone, Network, Route, RoutingError, rounded

router = Router(tags=["travel time"])

CRS = Literal["wgs84", "gcj02", "bd09"]


# --- what the answers say about the network and the points -----------------------------------------


class NetworkOut(Schema):
    """The road network an answer was computed on."""

    loaded: bool = Field(description="a road network is published (else: estimated mode)")
    mode: Literal["road", "estimated"]
    source: str | None = Field(description="the file the network was built from")
    built_at: str | None
    synthetic: bool = Field(description="the network is synthetic (demo data)")


class SnapOut(Schema):
    """Where a point joined the road network."""

    lon: float
    lat: float
    node: int | None
    distance_m: float | None = Field(description="straight-line distance to the network")
    on_network: bool

    @staticmethod
    def resolve_distance_m(snap) -> float | None:
        return rounded(snap.distance_m)


# --- /route --------------------------------------------------------------------------------------


class RouteParams(Schema):
    from_: str = Field(alias="from", max_length=60, description="lon,lat")
    to: str = Field(max_length=60, description="lon,lat")
    crs: CRS = "wgs84"


@dataclass(frozen=True)
class Routed:
    """A route and the network it was found on (the route's own attributes read through)."""

    route: Route
    network: Network

    def __getattr__(self, name):
        return getattr(self.route, name)


class LineString(Schema):
    type: Literal["LineString"]
    coordinates: list[list[float]]


class RouteProperties(Schema):
    eta_s: float | None
    distance_m: float | None
    eta_method: Literal["road", "estimated"]
    distance_method: Literal["road", "straight_line"]
    origin: SnapOut
    destination: SnapOut
    network: NetworkOut

    @staticmethod
    def resolve_eta_s(answer: Routed) -> float | None:
        return rounded(answer.eta_s)

    @staticmethod
    def resolve_distance_m(answer: Routed) -> float | None:
        return rounded(answer.distance_m)


class RouteFeature(Schema):
    """The fastest route as a GeoJSON Feature: a LineString from the origin through the road network's
    nodes to the destination (a straight line in estimated mode)."""

    type: Literal["Feature"] = "Feature"
    geometry: LineString
    properties: RouteProperties

    @staticmethod
    def resolve_geometry(answer: Routed) -> dict:
        return {"type": "LineString", "coordinates": np.round(np.asarray(answer.coords), 7).tolist()}

    @staticmethod
    def resolve_properties(answer: Routed) -> Routed:
        return answer


def _point(text: str, label: str, crs: str) -> tuple[float, float]:
    return inputs.to_wgs84(*inputs.lonlat_pair(text, label), crs)


@router.get("/route", response=RouteFeature, summary="Fastest route between two points")
def route_endpoint(request: HttpRequest, params: Query[RouteParams]):
    start = _point(params.from_, "from", params.crs)
    end = _point(params.to, "to", params.crs)
    try:
        return Routed(routing.route(start, end), routing.network())
    except RoutingError as exc:
        raise Invalid(str(exc)) from None


# --- /isochrone ----------------------------------------------------------------------------------


class IsochroneParams(Schema):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    minutes: float = Field(gt=0, le=120)
    direction: Literal["from", "to"] = "from"
    crs: CRS = "wgs84"


@dataclass(frozen=True)
class Reached:
    """An isochrone, the persons inside it (None without a population grid) and its network (the
    isochrone's own attributes read through)."""

    isochrone: Isochrone
    persons: int | None
    network: Network

    def __getattr__(self, name):
        return getattr(self.isochrone, name)


class IsochroneProperties(Schema):
    minutes: float
    direction: Literal["from", "to"]
    eta_method: Literal["road", "estimated"]
    method: str = Field(description="raster-buffer (road network) or circle (estimated)")
    reached_nodes: int
    buffer_m: float | None
    origin: SnapOut
    persons: int | None = Field(description="persons inside (None without a population grid)")
    network: NetworkOut


class IsochroneFeature(Schema):
    """The area reachable within the time, as a GeoJSON Feature (Polygon or MultiPolygon)."""

    type: Literal["Feature"] = "Feature"
    geometry: Geometry
    properties: IsochroneProperties

    @staticmethod
    def resolve_geometry(answer: Reached) -> dict:
        return shapely.geometry.mapping(answer.polygon)

    @staticmethod
    def resolve_properties(answer: Reached) -> Reached:
        return answer


@router.get("/isochrone", response=IsochroneFeature, summary="Area reachable within a travel time")
def isochrone_endpoint(request: HttpRequest, params: Query[IsochroneParams]):
    lon, lat = inputs.to_wgs84(params.lon, params.lat, params.crs)
    try:
        detail = routing.isochrone_detail((lon, lat), params.minutes, params.direction)
    except RoutingError as exc:
        raise Invalid(str(exc)) from None
    persons = population.population_within(detail.polygon)
    return Reached(detail, None if persons is None else int(round(persons)), routing.network())


# --- /population ---------------------------------------------------------------------------------


class PopulationParams(Schema):
    bbox: str | None = Field(None, max_length=100, description="minlon,minlat,maxlon,maxlat")
    cell_m: float = Field(1000, ge=100, le=20000, description="size of the aggregated cells")


class PointGeometry(Schema):
    type: Literal["Point"]
    coordinates: list[float]


class CellProperties(Schema):
    persons: int


class CellFeature(Schema):
    type: Literal["Feature"] = "Feature"
    geometry: PointGeometry
    properties: CellProperties

    @staticmethod
    def resolve_geometry(cell: population.HeatCell) -> dict:
        return {"type": "Point", "coordinates": [cell.lon, cell.lat]}

    @staticmethod
    def resolve_properties(cell: population.HeatCell) -> population.HeatCell:
        return cell


class PopulationCollection(Schema):
    """Persons per aggregated cell as GeoJSON points (for a heat map)."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[CellFeature]
    total: int | None = Field(description="persons in the whole grid (None: no grid is published)")
    synthetic: bool
    cell_m: float | None

    @staticmethod
    def resolve_features(heat: population.HeatMap) -> list:
        return heat.cells


@router.get("/population", response=PopulationCollection, summary="Population grid aggregated for a heat map")
def population_endpoint(request: HttpRequest, params: Query[PopulationParams]):
    """Persons per aggregated cell as GeoJSON points (for a heat map); at most 20,000 cells."""
    try:
        box = inputs.bbox(params.bbox).extent if params.bbox else None
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    try:
        return population.heat_map(box, params.cell_m)
    except population.TooManyCells:
        raise Invalid(_("too many cells: choose a larger cell_m or a smaller bbox")) from None
