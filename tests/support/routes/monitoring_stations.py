"""Monitoring routes of the station registry in the shared matrix: stations (list, GeoJSON, one, create,
change, delete, import, export) and data sources (list with health, one, create, change)."""

from tests.monitoring.stations_support import source_in, station_in
from tests.support.matrix import Route, exchange_routes, register

BASE = "/api/v1/monitoring"


def _station():
    return {"pk": station_in().pk}


def _source():
    return {"pk": source_in().pk}


def _new_station(params):
    from tests.support.places import place

    source = source_in()
    lon, lat = place("350203")
    return {"source": source.code, "external_id": "M-1", "name": "矩阵测试站", "kind": "rain_gauge",
            "lon": lon, "lat": lat}  # fmt: skip


register(
    Route("GET", f"{BASE}/stations/", outsider=None, malformed={"query": {"bbox": "1,2"}}),
    Route(
        "POST",
        f"{BASE}/stations/",
        body=_new_station,
        outsider=None,
        forbidden="inspector",
        malformed={"body": {"name": "矩阵测试", "colour": "red"}},
    ),
    Route("GET", f"{BASE}/stations/{{pk}}", make=_station, malformed={"path": {"pk": "x"}}),
    Route(
        "PATCH",
        f"{BASE}/stations/{{pk}}",
        make=_station,
        body={"notes": "矩阵测试"},
        forbidden="inspector",
        malformed={"body": {"elevation_m": "high"}},
    ),
    Route(
        "DELETE",
        f"{BASE}/stations/{{pk}}",
        make=_station,
        forbidden="inspector",
        malformed={"path": {"pk": "x"}},
    ),
    *exchange_routes(f"{BASE}/stations"),
    Route(
        "GET",
        f"{BASE}/sources/",
        outsider=None,
        forbidden="team_leader",
        malformed={"query": {"limit": "-1"}},
    ),
    Route(
        "GET",
        f"{BASE}/sources/{{pk}}",
        make=_source,
        forbidden="team_leader",
        malformed={"path": {"pk": "x"}},
    ),
    Route(
        "POST",
        f"{BASE}/sources/",
        body={"code": "matrix-src", "name": "矩阵测试", "department": "测试部门"},
        outsider=None,
        forbidden="inspector",
        malformed={"body": {"code": "matrix-src", "colour": "red"}},
    ),
    Route(
        "PATCH",
        f"{BASE}/sources/{{pk}}",
        make=_source,
        body={"notes": "矩阵测试"},
        forbidden="inspector",
        malformed={"body": {"expected_interval_minutes": "often"}},
    ),
)
