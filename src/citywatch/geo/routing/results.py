"""What the travel-time engine answers: plain dataclasses with ``as_dict()`` for the API layer."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

ROAD = "road"
ESTIMATED = "estimated"
STRAIGHT_LINE = "straight_line"


def rounded(value: float | None, digits: int = 1):
    """A figure as answers show it: rounded (to 0.1 by default); None for none or a non-finite value."""
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if value == value and value not in (float("inf"), float("-inf")) else None


@dataclass(frozen=True)
class Network:
    """The road network answers are computed on: ``loaded`` (a graph is published, ``mode`` "road") or
    not (``mode`` "estimated"); where it came from, when it was built, and whether it is synthetic."""

    loaded: bool
    mode: str
    source: str | None
    built_at: str | None
    synthetic: bool


@dataclass(frozen=True)
class Snap:
    """Where a point joined the road network.

    ``node`` is the graph node (of the largest strongly connected component) nearest to the point and
    ``distance_m`` the straight-line distance to it; ``on_network`` is False when that distance is
    beyond the snap limit (or the point is invalid, or there is no road graph: then ``node`` is None)."""

    lon: float
    lat: float
    node: int | None
    distance_m: float | None
    on_network: bool

    def as_dict(self) -> dict:
        return {
            "lon": self.lon,
            "lat": self.lat,
            "node": self.node,
            "distance_m": rounded(self.distance_m),
            "on_network": self.on_network,
        }


@dataclass(frozen=True)
class Hit:
    """One ranked candidate: its row in the candidates array, travel time and distance.

    ``eta_method`` is "road" (shortest travel time on the road graph, plus the access legs between each
    point and its snapped node at the access speed) or "estimated" (great-circle distance × detour
    factor / fallback speed). ``distance_method`` says what ``distance_m`` is: "road" (length of that
    shortest-time path plus the straight access legs) or "straight_line" (great-circle)."""

    index: int
    eta_s: float
    distance_m: float
    distance_method: str
    eta_method: str
    snap_distance_m: float | None = None

    def as_dict(self) -> dict:
        d = asdict(self)
        d["eta_s"] = rounded(self.eta_s)
        d["distance_m"] = rounded(self.distance_m)
        d["snap_distance_m"] = rounded(self.snap_distance_m)
        return d


@dataclass
class Nearest:
    """The answer of ``nearest_by_time``: hits fastest first (ties by candidate index)."""

    direction: str
    max_seconds: float
    limit: int | None
    eta_method: str
    origin: Snap
    results: list[Hit] = field(default_factory=list)
    off_network: list[int] = field(default_factory=list)

    @property
    def indices(self) -> list[int]:
        return [hit.index for hit in self.results]

    def as_dict(self) -> dict:
        return {
            "direction": self.direction,
            "max_seconds": self.max_seconds,
            "limit": self.limit,
            "eta_method": self.eta_method,
            "origin": self.origin.as_dict(),
            "results": [hit.as_dict() for hit in self.results],
            "off_network": list(self.off_network),
        }


@dataclass
class Route:
    """A route from ``origin`` to ``destination``: ``coords`` is an (M, 2) lon/lat array that starts at
    the origin point, follows the graph nodes of the path and ends at the destination point."""

    coords: object  # numpy (M, 2)
    eta_s: float
    distance_m: float
    eta_method: str
    distance_method: str
    origin: Snap
    destination: Snap

    @property
    def linestring(self):
        import shapely

        return shapely.linestrings(self.coords)

    def as_dict(self) -> dict:
        return {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": np.round(np.asarray(self.coords), 7).tolist()},
            "properties": {
                "eta_s": rounded(self.eta_s),
                "distance_m": rounded(self.distance_m),
                "eta_method": self.eta_method,
                "distance_method": self.distance_method,
                "origin": self.origin.as_dict(),
                "destination": self.destination.as_dict(),
            },
        }


@dataclass
class Isochrone:
    """The area reachable within ``minutes`` (``direction`` "from": leaving the origin; "to": arriving)."""

    polygon: object  # shapely Polygon or MultiPolygon, WGS-84 lon/lat
    minutes: float
    direction: str
    eta_method: str
    origin: Snap
    method: str
    reached_nodes: int = 0
    buffer_m: float | None = None

    def as_dict(self) -> dict:
        import shapely

        return {
            "type": "Feature",
            "geometry": shapely.geometry.mapping(self.polygon),
            "properties": {
                "minutes": self.minutes,
                "direction": self.direction,
                "eta_method": self.eta_method,
                "method": self.method,
                "reached_nodes": self.reached_nodes,
                "buffer_m": self.buffer_m,
                "origin": self.origin.as_dict(),
            },
        }
