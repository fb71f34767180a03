"""Travel-time and exposure API: nearby resources by travel time, routes, isochrones, population.

``GET /api/v1/nearby`` ranks the registry's resources (restricted to the caller's jurisdiction) by
travel time with the right direction: rescue teams, depots and experts travel **to** the point; people
are taken **from** the point to shelters, medical facilities and facilities. Without a road network the
engine answers in estimated mode and says so in every item.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field, field_validator

from citywatch.geo import crs as crslib
from citywatch.geo import population, routing

router = Router(tags=["travel time"])

# Which way each kind travels relative to the point asked about.
DIRECTIONS = {
    "rescue-teams": "to",
    "depots": "to",
    "experts": "to",
    "medical-facilities": "from",
    "shelters": "from",
    "facilities": "from",
}
NEARBY_KINDS = tuple(DIRECTIONS)


def _origin(lon: float, lat: float, crs: str) -> tuple[float, float]:
    try:
        system = crslib.parse_crs(crs)
    except ValueError as exc:
        raise HttpError(422, str(exc)) from None
    wlon, wlat = crslib.to_wgs84(lon, lat, system)
    return float(wlon), float(wlat)


def _lonlat_pair(text: str, name: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise HttpError(422, f"{name} must be lon,lat")
    try:
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        raise HttpError(422, f"{name} must be two numbers: lon,lat") from None
    if not bool(crslib.valid_lonlat(lon, lat)):
        raise HttpError(422, f"{name} is not a longitude/latitude")
    return lon, lat


def _network() -> dict:
    status = routing.engine_status()
    manifest = status.get("graph") or {}
    return {
        "loaded": status["mode"] == "road",
        "mode": status["mode"],
        "source": manifest.get("source", {}).get("name")
        if isinstance(manifest.get("source"), dict)
        else manifest.get("source"),
        "built_at": manifest.get("built_at"),
        "synthetic": bool(manifest.get("synthetic", False)),
    }


class NearbyParams(Schema):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    kinds: str = Field(",".join(NEARBY_KINDS), max_length=200, description=", ".join(NEARBY_KINDS))
    minutes: float = Field(30, gt=0, le=240, description="only resources within this travel time")
    radius_m: float = Field(5000, ge=100, le=50000, description="radius for the population figure")
    limit: int = Field(20, ge=1, le=200, description="at most this many per kind")
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, value):
        kinds = [k.strip() for k in value.split(",") if k.strip()]
        unknown = [k for k in kinds if k not in DIRECTIONS]
        if unknown or not kinds:
            raise ValueError(f"unknown kinds {', '.join(unknown) or '(none)'}; use {', '.join(NEARBY_KINDS)}")
        return ",".join(dict.fromkeys(kinds))


# The field that says whether a listed resource can be sent: a team's or shelter's status, an expert's
# availability (the one-map offers "dispatch" and "summon" only for those that can).
STATE_FIELD = {"rescue-teams": "status", "shelters": "status", "experts": "availability"}


def nearby(
    user, lon: float, lat: float, kinds: list[str], minutes: float, limit: int, radius_m: float
) -> dict:
    """The engine's answer for one point, as the API and the one-map use it."""
    from citywatch.resources import queries
    from citywatch.resources.kinds import KINDS

    engine = routing.get_engine()
    origin = engine.snap_point((lon, lat))
    items: list[dict] = []
    off_network = 0
    for slug in kinds:
        kind = KINDS[slug]
        extra = STATE_FIELD.get(slug)
        rows = list(
            queries.records_for(kind, user)
            .filter(location__isnull=False)
            .values_list("pk", "name", "location", *([extra] if extra else []))
        )
        if not rows:
            continue
        lonlat = np.array([(r[2].x, r[2].y) for r in rows], dtype=float)
        answer = engine.nearest_by_time((lon, lat), lonlat, DIRECTIONS[slug], minutes * 60, limit)
        off_network += len(answer.off_network)
        for hit in answer.results:
            row = rows[hit.index]
            item = {
                "kind": slug,
                "id": row[0],
                "name": row[1],
                "lon": row[2].x,
                "lat": row[2].y,
                "distance_m": round(hit.distance_m, 1),
                "eta_s": round(hit.eta_s, 1),
                "eta_method": hit.eta_method,
                "direction": DIRECTIONS[slug],
            }
            if extra:
                item[extra] = row[3]
            items.append(item)
    items.sort(key=lambda i: (i["eta_s"], i["kind"], i["id"]))
    persons = population.population_within_radius((lon, lat), radius_m)
    return {
        "origin": {
            "lon": lon,
            "lat": lat,
            "snapped_node": origin.node,
            "snap_distance_m": None if origin.distance_m is None else round(origin.distance_m, 1),
            "on_network": origin.on_network,
        },
        "network": _network(),
        "items": items,
        "off_network_resources": off_network,
        "population": {"radius_m": radius_m, "persons": None if persons is None else int(round(persons))},
    }


@router.get("/nearby", response=dict[str, Any], summary="Resources nearest by travel time")
def nearby_endpoint(request: HttpRequest, params: Query[NearbyParams]):
    """Teams, depots and experts ranked by their time **to** the point; shelters, medical facilities and
    facilities by the time **from** the point; only resources in your jurisdiction; sorted by ``eta_s``."""
    lon, lat = _origin(params.lon, params.lat, params.crs)
    answer = nearby(
        request.user, lon, lat, params.kinds.split(","), params.minutes, params.limit, params.radius_m
    )
    answer["origin"]["input_crs"] = params.crs
    return answer


class RouteParams(Schema):
    from_: str = Field(alias="from", max_length=60, description="lon,lat")
    to: str = Field(max_length=60, description="lon,lat")
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


@router.get("/route", response=dict[str, Any], summary="Fastest route between two points")
def route_endpoint(request: HttpRequest, params: Query[RouteParams]):
    start = _origin(*_lonlat_pair(params.from_, "from"), params.crs)
    end = _origin(*_lonlat_pair(params.to, "to"), params.crs)
    try:
        result = routing.route(start, end)
    except routing.RoutingError as exc:
        raise HttpError(422, str(exc)) from None
    feature = result.as_dict()
    feature.setdefault("properties", {})["network"] = _network()
    return feature


class IsochroneParams(Schema):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    minutes: float = Field(gt=0, le=120)
    direction: Literal["from", "to"] = "from"
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


@router.get("/isochrone", response=dict[str, Any], summary="Area reachable within a travel time")
def isochrone_endpoint(request: HttpRequest, params: Query[IsochroneParams]):
    lon, lat = _origin(params.lon, params.lat, params.crs)
    try:
        detail = routing.isochrone_detail((lon, lat), params.minutes, params.direction)
    except routing.RoutingError as exc:
        raise HttpError(422, str(exc)) from None
    feature = detail.as_dict()
    props = feature.setdefault("properties", {})
    props["minutes"] = params.minutes
    persons = population.population_within(detail.polygon)
    props["persons"] = None if persons is None else int(round(persons))
    props["network"] = _network()
    return feature


class PopulationParams(Schema):
    bbox: str | None = Field(None, max_length=100, description="minlon,minlat,maxlon,maxlat")
    cell_m: float = Field(1000, ge=100, le=20000, description="size of the aggregated cells")


@router.get("/population", response=dict[str, Any], summary="Population grid aggregated for a heat map")
def population_endpoint(request: HttpRequest, params: Query[PopulationParams]):
    """Persons per aggregated cell as GeoJSON points (for a heat map); at most 20,000 cells."""
    from citywatch.core.filters import parse_bbox

    box = None
    if params.bbox:
        try:
            box = parse_bbox(params.bbox).extent
        except ValueError as exc:
            raise HttpError(422, str(exc)) from None
    grid = population.current_population()
    if grid is None:
        return {"type": "FeatureCollection", "features": [], "total": None, "synthetic": False}
    lon, lat, persons = np.asarray(grid.lon), np.asarray(grid.lat), np.asarray(grid.persons)
    if box is not None:
        minx, miny, maxx, maxy = box
        keep = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
        lon, lat, persons = lon[keep], lat[keep], persons[keep]
    features = []
    if len(lon):
        step_lat = params.cell_m / 111_320.0
        step_lon = step_lat / max(np.cos(np.radians(float(lat.mean()))), 0.1)
        ix = np.floor((lon - lon.min()) / step_lon).astype(np.int64)
        iy = np.floor((lat - lat.min()) / step_lat).astype(np.int64)
        if (ix.max() + 1) * (iy.max() + 1) > 2_000_000 or len(np.unique(iy * (ix.max() + 1) + ix)) > 20_000:
            raise HttpError(422, "too many cells: choose a larger cell_m or a smaller bbox")
        key = iy * (ix.max() + 1) + ix
        uniq, inverse = np.unique(key, return_inverse=True)
        sums = np.bincount(inverse, weights=persons)
        cx = np.bincount(inverse, weights=lon * persons) / np.maximum(sums, 1e-9)
        cy = np.bincount(inverse, weights=lat * persons) / np.maximum(sums, 1e-9)
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
                "properties": {"persons": int(round(p))},
            }
            for x, y, p in zip(cx, cy, sums, strict=True)
            if p >= 0.5
        ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "total": int(round(float(np.sum(grid.persons)))),
        "synthetic": bool(grid.manifest.get("synthetic", False)),
        "cell_m": params.cell_m,
    }
