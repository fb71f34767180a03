"""The one-map with a road network loaded (a small grid of roads around the incident, imported with
``citywatch import roads``): the rings and the reach counts are isochrones on the roads, not estimates,
and the ranked list gives road times and road distances."""

import io

import pytest

from tests.geo.osmfiles import write_osm
from tests.support.browser import INCIDENT, all_team_types, api_client, close_streams, create, open_onemap
from tests.support.places import TONGAN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STEP = 0.003  # degrees between grid roads, about 300 m


def grid(origin, n=9):
    """An n×n grid of two-way residential roads centred on ``origin``, nodes 1…n²."""
    lon0, lat0 = origin[0] - STEP * (n // 2), origin[1] - STEP * (n // 2)
    nodes, ways = {}, []
    for i in range(n):
        for j in range(n):
            nodes[n * i + j + 1] = (lon0 + j * STEP, lat0 + i * STEP)
    for i in range(n):
        ways.append(({"highway": "residential"}, [n * i + j + 1 for j in range(n)]))
    for j in range(n):
        ways.append(({"highway": "residential"}, [n * i + j + 1 for i in range(n)]))
    return nodes, ways


@pytest.fixture
def estimated(settings, tmp_path):
    """Overrides the estimated-mode fixture of the one-map tests: here a road network is imported."""
    from django.core.management import call_command

    data = tmp_path / "data"
    data.mkdir()
    settings.DATA_DIR = data
    nodes, ways = grid(INCIDENT)
    pbf = write_osm(tmp_path / "grid.osm.pbf", nodes, ways)
    call_command("import", "roads", str(pbf), stdout=io.StringIO(), stderr=io.StringIO())
    yield
    from citywatch.geo import routing

    routing.clear_cache()


def test_rings_and_ranking_by_road(page, demo_live_server, scene):  # noqa: F811
    base = demo_live_server.url
    incident_id = scene["incident"]["id"]
    admin = api_client("city_admin")
    # On the grid, three blocks east: reachable by road.
    on_grid = create(
        admin,
        "rescue-teams",
        name="网格上的救援队",
        kind="social",
        members=8,
        lon=INCIDENT[0] + 3 * STEP,
        lat=INCIDENT[1],
        area_code=TONGAN,
    )
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_onemap(page, base, "duty_officer", incident_id)
    try:
        mode = page.locator(".nearby-mode")
        assert mode.get_attribute("data-mode") == "road", mode.inner_text()
        # Said in words, not by the network's file name (xiamen-synthetic-roads.osm.pbf before).
        said = mode.inner_text()
        assert "通行时间按路网计算" in said and ".pbf" not in said, said
        page.wait_for_function(
            "() => window.citywatchLayers && window.citywatchLayers.rings && window.citywatchLayers.rings[5]",
            timeout=20_000,
        )
        rings = page.evaluate(
            "() => Object.fromEntries(Object.entries(window.citywatchLayers.rings)"
            ".map(([m, f]) => [m, f && f.eta_method]))"
        )
        assert rings == {"5": "road", "15": "road", "30": "road"}, rings
        assert page.locator("#network-note").is_hidden()
        assert page.locator("#reach-list li.reach-item").count() == 3
        assert page.locator("#reach-list").inner_text().count("按路网") == 3  # "by road"
        all_team_types(page)
        teams = page.locator('.nearby-group[data-kind="rescue-teams"] li.nearby-item')
        methods = teams.evaluate_all("els => els.map(e => [e.dataset.id, e.dataset.etaMethod])")
        assert [str(on_grid["id"]), "road"] in methods, methods
        answer = page.evaluate("() => window.citywatchNearby")
        assert answer["network"]["mode"] == "road"
        on = next(i for i in answer["items"] if i["id"] == on_grid["id"] and i["kind"] == "rescue-teams")
        # Three 300 m blocks east along a grid road.
        assert on["distance_m"] >= 3 * 300 * 0.95
    finally:
        close_streams(page)
    assert not errors, errors
