"""Road routing for CityWatch: the travel-time engine and its road graph.

Public API (WGS-84 lon/lat everywhere; convert GCJ-02/BD-09 input with ``geo.crs`` first)::

    from citywatch.geo import routing

    routing.nearest_by_time(origin_lonlat, candidates_lonlat, direction="to", max_seconds=3600, limit=20)
        -> Nearest   (.results: [Hit(index, eta_s, distance_m, distance_method, eta_method,
                                     snap_distance_m)], .origin: Snap, .off_network: [int], .as_dict())
    routing.route(origin_lonlat, destination_lonlat) -> Route   (.coords (M, 2), .eta_s, .distance_m,
                                                                 .linestring, .as_dict() GeoJSON)
    routing.isochrone(origin_lonlat, minutes, direction="from") -> shapely Polygon | MultiPolygon
    routing.isochrone_detail(...) -> Isochrone (.polygon, .eta_method, .method, .as_dict() GeoJSON)
    routing.get_engine() -> TravelTimeEngine   (the engine over the published graph, or estimated mode)
    routing.engine_status() -> dict             (mode, graph manifest) for a health/status page
    routing.network() -> Network                (loaded, mode, source, built_at, synthetic) for answers

The module-level functions use the road graph published by ``citywatch import roads`` (memory-mapped,
loaded once per process, reloaded when a new import replaces it); without one they answer in estimated
mode. ``TravelTimeEngine(graph)`` is the same API over any ``RoadGraph`` (tests, benchmarks).

Settings (optional, read at call time): ``CITYWATCH_ROUTING_SNAP_LIMIT_M`` (2000),
``CITYWATCH_ROUTING_DETOUR_FACTOR`` (1.3), ``CITYWATCH_ROUTING_FALLBACK_SPEED_KMH`` (40),
``CITYWATCH_ROUTING_ACCESS_SPEED_KMH`` (20).
"""

from __future__ import annotations

import threading

from citywatch.geo.routing.engine import (
    Candidates,
    RoutingError,
    TravelTimeEngine,
)
from citywatch.geo.routing.graph import RoadGraph, clear_cache, current_graph
from citywatch.geo.routing.results import (
    ESTIMATED,
    ROAD,
    STRAIGHT_LINE,
    Hit,
    Isochrone,
    Nearest,
    Network,
    Route,
    Snap,
    rounded,
)

__all__ = [
    "ESTIMATED",
    "ROAD",
    "STRAIGHT_LINE",
    "Candidates",
    "Hit",
    "Isochrone",
    "Nearest",
    "Network",
    "RoadGraph",
    "Route",
    "RoutingError",
    "Snap",
    "TravelTimeEngine",
    "clear_cache",
    "current_graph",
    "engine_status",
    "get_engine",
    "isochrone",
    "isochrone_detail",
    "nearest_by_time",
    "network",
    "rounded",
    "route",
]

_ENGINES: dict[tuple, TravelTimeEngine] = {}
_LOCK = threading.Lock()


def _engine_options() -> dict:
    from django.conf import settings

    return {
        "snap_limit_m": settings.CITYWATCH_ROUTING_SNAP_LIMIT_M,
        "detour_factor": settings.CITYWATCH_ROUTING_DETOUR_FACTOR,
        "fallback_speed_kmh": settings.CITYWATCH_ROUTING_FALLBACK_SPEED_KMH,
        "access_speed_kmh": settings.CITYWATCH_ROUTING_ACCESS_SPEED_KMH,
    }


def get_engine() -> TravelTimeEngine:
    """The engine over the currently published road graph (estimated mode when there is none)."""
    graph = current_graph()
    options = _engine_options()
    # The cached engine holds its graph, so id(graph) cannot be reused while the entry exists.
    key = (id(graph), tuple(sorted(options.items())))
    engine = _ENGINES.get(key)
    if engine is None:
        with _LOCK:
            _ENGINES.clear()  # one graph at a time: drop engines of replaced graphs
            engine = TravelTimeEngine(graph, **options)
            _ENGINES[key] = engine
    return engine


def engine_status() -> dict:
    engine = get_engine()
    manifest = engine.graph.manifest if engine.graph is not None else None
    return {"mode": engine.mode, "graph": manifest}


def network() -> Network:
    """The road network the answers are computed on (the published graph's manifest, or none)."""
    engine = get_engine()
    manifest = engine.graph.manifest if engine.graph is not None else {}
    source = manifest.get("source")
    return Network(
        loaded=engine.mode == ROAD,
        mode=engine.mode,
        source=source.get("name") if isinstance(source, dict) else source,
        built_at=manifest.get("built_at"),
        synthetic=bool(manifest.get("synthetic", False)),
    )


def nearest_by_time(origin_lonlat, candidates_lonlat, direction="to", max_seconds=3600.0, limit=20, **kwargs):
    return get_engine().nearest_by_time(
        origin_lonlat, candidates_lonlat, direction, max_seconds, limit, **kwargs
    )


def route(origin_lonlat, destination_lonlat):
    return get_engine().route(origin_lonlat, destination_lonlat)


def isochrone(origin_lonlat, minutes, direction="from", buffer_m=None):
    return get_engine().isochrone(origin_lonlat, minutes, direction, buffer_m)


def isochrone_detail(origin_lonlat, minutes, direction="from", buffer_m=None):
    return get_engine().isochrone_detail(origin_lonlat, minutes, direction, buffer_m)
