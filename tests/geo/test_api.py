"""The travel-time API: /api/v1/nearby, /route, /isochrone, /population — jurisdiction, direction,
estimated mode and bad input."""

import pytest

from tests.geo.osmfiles import LAT0, LON0, D, write_town

pytestmark = pytest.mark.django_db

HULI = "350206"  # the test town (118.10, 24.50) lies in 湖里区
TONGAN_PT = {"lon": 118.15, "lat": 24.73}


@pytest.fixture
def town_network(data_dir, run_import, tmp_path):
    run_import("roads", write_town(tmp_path / "town.osm.pbf"))
    return data_dir


def make(client, slug, name, lon, lat, area, **extra):
    body = {"name": name, "lon": lon, "lat": lat, "area_code": area, **extra}
    response = client.post(f"/api/v1/resources/{slug}/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_estimated_mode_without_a_network(city_admin, data_dir):
    body = city_admin.get("/api/v1/nearby", {**TONGAN_PT, "kinds": "rescue-teams", "minutes": 60}).json()
    assert body["network"]["loaded"] is False
    items = body["items"]
    assert items and all(i["eta_method"] == "estimated" and i["kind"] == "rescue-teams" for i in items)
    etas = [i["eta_s"] for i in items]
    assert etas == sorted(etas)
    # ETA = great-circle distance × 1.3 / 40 km/h.
    first = items[0]
    assert first["eta_s"] == pytest.approx(first["distance_m"] * 1.3 / (40 / 3.6), rel=1e-3)
    assert body["population"]["persons"] is None


def test_nearby_is_restricted_by_jurisdiction(siming, data_dir):
    params = {"lon": 118.10, "lat": 24.46, "kinds": "rescue-teams,shelters", "limit": 50, "minutes": 120}
    items = siming.get("/api/v1/nearby", params).json()["items"]
    from citywatch.resources.models import RescueTeam, Shelter

    ids = {("rescue-teams", i["id"]) for i in items if i["kind"] == "rescue-teams"}
    ids |= {("shelters", i["id"]) for i in items if i["kind"] == "shelters"}
    assert ids
    for kind, pk in ids:
        model = RescueTeam if kind == "rescue-teams" else Shelter
        assert model.objects.get(pk=pk).area.path.startswith("350200.350203.")


def test_road_times_follow_the_direction_rule(city_admin, town_network):
    # A team and a shelter at the far corner of the grid: both get road times from the network.
    corner = (LON0 + 3 * D, LAT0 + 3 * D)
    team = make(city_admin, "rescue-teams", "测试队（路网）", *corner, HULI, kind="grassroots")
    shelter = make(
        city_admin, "shelters", "测试避灾点（路网）", *corner, HULI, kind="disaster_point", capacity=50
    )
    body = city_admin.get(
        "/api/v1/nearby",
        {"lon": LON0, "lat": LAT0, "kinds": "rescue-teams,shelters", "minutes": 30, "limit": 200},
    ).json()
    assert body["network"]["loaded"] is True and body["origin"]["on_network"] is True
    mine = {(i["kind"], i["id"]): i for i in body["items"]}
    assert mine[("rescue-teams", team)]["eta_method"] == "road"
    assert mine[("rescue-teams", team)]["direction"] == "to"
    assert mine[("shelters", shelter)]["direction"] == "from"
    etas = [i["eta_s"] for i in body["items"]]
    assert etas == sorted(etas)


def test_route_and_isochrone(city_admin, town_network):
    route = city_admin.get(
        "/api/v1/route", {"from": f"{LON0},{LAT0}", "to": f"{LON0 + 3 * D},{LAT0 + 3 * D}"}
    )
    assert route.status_code == 200, route.content
    feature = route.json()
    assert feature["geometry"]["type"] == "LineString" and len(feature["geometry"]["coordinates"]) >= 2
    assert feature["properties"]["eta_s"] > 0 and feature["properties"]["distance_m"] > 0
    iso = city_admin.get("/api/v1/isochrone", {"lon": LON0, "lat": LAT0, "minutes": 2}).json()
    assert iso["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert iso["properties"]["minutes"] == 2


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/nearby", {"lon": 200, "lat": 24.5}),
        ("/api/v1/nearby", {"lon": 118.1, "lat": 24.5, "kinds": "dragons"}),
        ("/api/v1/nearby", {"lon": 118.1, "lat": 24.5, "minutes": 0}),
        ("/api/v1/nearby", {"lon": 118.1, "lat": 24.5, "limit": 100000}),
        ("/api/v1/nearby", {"lon": 118.1, "lat": 24.5, "crs": "mars"}),
        ("/api/v1/nearby", {"lat": 24.5}),
        # BD-09 → WGS-84 at the corner of the range leaves it: refused, not a 500
        ("/api/v1/nearby", {"lon": -180, "lat": -90, "crs": "bd09"}),
        ("/api/v1/isochrone", {"lon": -180, "lat": -90, "minutes": 5, "crs": "bd09"}),
        ("/api/v1/route", {"from": "-180,-90", "to": "118.2,24.5", "crs": "bd09"}),
        ("/api/v1/route", {"from": "118.1", "to": "118.2,24.5"}),
        ("/api/v1/route", {"from": "x,y", "to": "118.2,24.5"}),
        ("/api/v1/route", {"from": "118.1,95", "to": "118.2,24.5"}),
        ("/api/v1/isochrone", {"lon": 118.1, "lat": 24.5, "minutes": 100000}),
        ("/api/v1/population", {"bbox": "1,2"}),
        ("/api/v1/population", {"cell_m": 1}),
    ],
)
def test_bad_input_is_422(city_admin, data_dir, path, params):
    response = city_admin.get(path, params)
    assert response.status_code == 422, response.content
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_login_required(anon):
    assert anon.get("/api/v1/nearby", TONGAN_PT).status_code == 401
    assert anon.get("/api/v1/population").status_code == 401


def test_population_heat_map_data(city_admin, data_dir, run_import, tmp_path):
    csv = tmp_path / "pop.csv"
    csv.write_text("lon,lat,persons\n118.10,24.46,1000\n118.101,24.461,500\n118.15,24.73,250\n")
    run_import("population", csv)
    body = city_admin.get("/api/v1/population", {"cell_m": 1000}).json()
    assert body["total"] == 1750
    assert sum(f["properties"]["persons"] for f in body["features"]) == 1750
    near = city_admin.get(
        "/api/v1/nearby", {"lon": 118.10, "lat": 24.46, "kinds": "shelters", "radius_m": 1000}
    ).json()
    assert near["population"] == {"radius_m": 1000.0, "persons": 1500}


@pytest.mark.parametrize("roads", [True, False], ids=["road network", "estimated"])
@pytest.mark.parametrize("username", ["city_admin", "huli_officer"])
def test_one_search_per_direction_ranks_as_one_search_per_kind(
    user, data_dir, run_import, tmp_path, monkeypatch, roads, username
):
    """``resources.nearby`` asks the engine once per direction with every kind's candidates and answers
    exactly what one search per kind (the former way) answers: the same items, times and distances."""
    import numpy as np

    from citywatch.geo import routing
    from citywatch.resources.kinds import KINDS, NEARBY_KINDS
    from citywatch.resources.nearby import NearbyParams, nearby
    from citywatch.resources.queries import records_for

    if roads:
        run_import("roads", write_town(tmp_path / "town.osm.pbf"))
    caller = user(username)
    engine = routing.get_engine()
    searches = []
    original = type(engine).nearest_by_time

    def counted(self, origin, candidates, direction, *args, **kwargs):
        searches.append(direction)
        return original(self, origin, candidates, direction, *args, **kwargs)

    monkeypatch.setattr(type(engine), "nearest_by_time", counted)
    params = NearbyParams(kinds=",".join(NEARBY_KINDS), minutes=45, limit=4)
    # Many points: the test town's streets (on and beside them), the city (estimated or off the town).
    grid = [(LON0 + D * (i % 5) / 2, LAT0 + D * (i // 5) / 2) for i in range(25)]
    for origin in [(LON0 + D, LAT0 + D), (118.09, 24.47), (118.15, 24.73), *grid]:
        searches.clear()
        got = nearby(caller, *origin, params)
        assert sorted(searches) == ["from", "to"]  # one engine search per direction
        expected = []
        for slug in NEARBY_KINDS:
            kind = KINDS[slug]
            located = records_for(kind, caller).filter(location__isnull=False)
            rows = list(located.values_list("pk", "location"))
            if not rows:
                continue
            alone = engine.nearest_by_time(
                origin, np.array([(r[1].x, r[1].y) for r in rows]), kind.travel, 45 * 60, 4
            )
            expected += [
                (round(h.eta_s, 1), slug, rows[h.index][0], round(h.distance_m, 1), h.eta_method)
                for h in alone.results
            ]
        expected.sort(key=lambda e: e[:3])
        assert [(i.eta_s, i.kind.slug, i.id, i.distance_m, i.eta_method) for i in got.items] == expected
        assert len({i.kind.slug for i in got.items}) > 1
        if roads and origin == (LON0 + D, LAT0 + D):  # in the test town: ranked on its roads
            assert got.origin.on_network and any(i.eta_method == "road" for i in got.items)
