"""The map's "What is near here?" tool: resources ranked by travel time from a point, a 15-minute
isochrone, a route for a picked result, and the population heat-map toggle. The test data directory has
no road network, so the engine answers in estimated mode and the page must say so. Records are created
through the API (as in test_map_resources).

The demo loader may import a synthetic road network into the test data directory: the estimated-mode
test hides it (the live server runs in this process), the road-mode test runs only when there is one."""

import pytest

from tests.support.browser import api_client, create, open_map

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TONGAN = "350212"
NEAR = (118.15, 24.73)  # both inside the demo boundary of 同安区 (checked below)
FAR = (118.20, 24.75)
ASK = (118.145, 24.728)  # the point asked about, nearer NEAR than FAR


def inside_tongan(lon, lat):
    from django.contrib.gis.geos import Point

    from citywatch.core.models import AdminArea

    area = AdminArea.objects.get(code=TONGAN)
    return area.boundary is not None and area.boundary.contains(Point(lon, lat, srid=4326))


@pytest.fixture
def estimated(monkeypatch):
    """No road graph for the engine: it answers in estimated mode."""
    from citywatch.geo import routing

    monkeypatch.setattr(routing, "current_graph", lambda: None)


@pytest.fixture
def teams(demo_live_server):
    for lon, lat in (NEAR, FAR, ASK):
        assert inside_tongan(lon, lat), (lon, lat)
    admin = api_client("city_admin")
    far = create(
        admin,
        "rescue-teams",
        name="同安测试救援队（远）",
        kind="social",
        members=12,
        lon=FAR[0],
        lat=FAR[1],
        area_code=TONGAN,
    )
    near = create(
        admin,
        "rescue-teams",
        name="同安测试救援队（近）",
        kind="social",
        members=20,
        lon=NEAR[0],
        lat=NEAR[1],
        area_code=TONGAN,
    )
    return {"near": near, "far": far}


def ask(page, lon, lat):
    answer = page.evaluate("([lon, lat]) => window.citywatchNearbyAt(lon, lat)", [lon, lat])
    page.wait_for_selector("#map[data-nearby=loaded]", state="attached", timeout=30_000)
    return answer


def test_nearby_ranks_teams_draws_isochrone_and_route(page, demo_live_server, teams, estimated):
    base = demo_live_server.url
    open_map(page, base, "city_admin")
    answer = ask(page, *ASK)
    assert answer["network"]["mode"] == "estimated"

    # The side panel: rescue teams grouped, the nearer one first, each with its ETA and distance.
    group = page.locator('#nearby-results .nearby-group[data-kind="rescue-teams"]')
    # (The demo may hold teams of its own nearby: the far test team need only come after the near one.)
    names = group.locator(".nearby-name").all_inner_texts()
    assert names[0] == teams["near"]["name"], names
    ids = group.locator(".nearby-item").evaluate_all("(els) => els.map(e => e.dataset.id)")
    assert ids[0] == str(teams["near"]["id"])
    if str(teams["far"]["id"]) in ids:
        assert ids.index(str(teams["far"]["id"])) > 0
    etas = {i["id"]: i["eta_s"] for i in answer["items"] if i["kind"] == "rescue-teams"}
    assert teams["near"]["id"] in etas
    assert teams["far"]["id"] not in etas or etas[teams["near"]["id"]] < etas[teams["far"]["id"]]
    first_meta = group.locator(".nearby-meta").first.inner_text()
    assert "km" in first_meta  # distance in km (the minutes text depends on the catalogue)

    # Estimated mode is said plainly: on each item and in the summary.
    estimated = page.evaluate("gettext('estimated')")
    assert group.locator(".nearby-method").first.inner_text() == estimated
    assert group.locator(".nearby-item").first.get_attribute("data-eta-method") == "estimated"
    assert page.locator("#nearby-results .nearby-mode[data-mode=estimated]").count() == 1
    assert page.locator("#nearby-results .nearby-population").count() == 2  # radius and isochrone

    # The 15-minute isochrone is a polygon in its source, and drawn.
    iso = page.evaluate("window.citywatchLayers['nearby-isochrone']")
    assert iso["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert iso["properties"]["minutes"] == 15
    drawn = page.evaluate("""() => new Promise((done) => {
        const map = window.citywatchMap;
        const count = () => map.queryRenderedFeatures({layers: ['nearby-isochrone-line']}).length;
        if (map.loaded() && count()) return done(count());
        map.once('idle', () => done(count()));
        map.triggerRepaint();
    })""")
    assert drawn > 0

    # Picking the first result draws its route (from the team to the point) and shows its ETA.
    group.locator(".nearby-pick").first.click()
    page.wait_for_selector("#map[data-nearby-route=loaded]", state="attached", timeout=30_000)
    route = page.evaluate("window.citywatchLayers['nearby-route']")
    assert route["geometry"]["type"] == "LineString"
    start, end = route["geometry"]["coordinates"][0], route["geometry"]["coordinates"][-1]
    assert start == pytest.approx(list(NEAR), abs=1e-4) and end == pytest.approx(list(ASK), abs=1e-4)
    info = page.locator("#nearby-route-info")
    assert info.is_visible() and teams["near"]["name"] in info.inner_text()
    assert estimated in info.inner_text()

    # Clear removes it all.
    page.click("#nearby-clear")
    assert page.locator("#nearby-results > *").count() == 0
    assert page.evaluate("window.citywatchNearby") is None
    assert page.evaluate("window.citywatchLayers['nearby-route'] === undefined")
    assert page.get_attribute("#map", "data-nearby") is None


def test_nearby_arm_button_takes_one_click(page, demo_live_server, teams):
    base = demo_live_server.url
    open_map(page, base, "city_admin")
    page.click("#nearby-arm")
    assert page.get_attribute("#nearby-arm", "aria-pressed") == "true"
    x, y = page.evaluate(
        """([lon, lat]) => {
        const map = window.citywatchMap;
        map.jumpTo({center: [lon, lat], zoom: 11});
        const pt = map.project([lon, lat]);
        const box = map.getCanvas().getBoundingClientRect();
        return [box.left + pt.x, box.top + pt.y];
    }""",
        list(ASK),
    )
    page.mouse.click(x, y)
    page.wait_for_selector("#map[data-nearby=loaded]", state="attached", timeout=30_000)
    assert page.get_attribute("#nearby-arm", "aria-pressed") == "false"
    origin = page.evaluate("window.citywatchNearby.origin")
    assert origin["lon"] == pytest.approx(ASK[0], abs=1e-3) and origin["lat"] == pytest.approx(
        ASK[1], abs=1e-3
    )


def test_road_mode_is_shown_as_road(page, demo_live_server, teams):
    from citywatch.geo import routing

    if routing.engine_status()["mode"] != "road":
        pytest.skip("no road network in this data directory")
    base = demo_live_server.url
    open_map(page, base, "city_admin")
    answer = ask(page, *ASK)
    assert answer["network"]["mode"] == "road"
    assert page.locator("#nearby-results .nearby-mode[data-mode=road]").count() == 1
    by_road = page.evaluate("gettext('by road')")
    item = page.locator('#nearby-results .nearby-group[data-kind="rescue-teams"] .nearby-item').first
    method = item.get_attribute("data-eta-method")
    assert method in ("road", "estimated")
    if method == "road":
        assert item.locator(".nearby-method").inner_text() == by_road
    item.locator(".nearby-pick").click()
    page.wait_for_selector("#map[data-nearby-route=loaded]", state="attached", timeout=30_000)
    route = page.evaluate("window.citywatchLayers['nearby-route']")
    assert route["geometry"]["type"] == "LineString" and len(route["geometry"]["coordinates"]) >= 2


def test_siming_officer_sees_nothing_from_tongan(page, demo_live_server, teams):
    base = demo_live_server.url
    open_map(page, base, "siming_officer")
    answer = ask(page, *ASK)
    assert answer["items"] == []
    assert page.locator("#nearby-results .nearby-item").count() == 0
    assert page.locator("#nearby-results .nearby-empty").count() == 1


def test_population_toggle(page, demo_live_server):
    base = demo_live_server.url
    open_map(page, base, "city_admin")
    assert not page.is_checked("#population-toggle")
    assert page.evaluate("window.citywatchMap.getLayoutProperty('population-heat', 'visibility')") == "none"
    page.check("#population-toggle")
    page.wait_for_function(
        "() => ['loaded', 'error'].includes(document.querySelector('#population-toggle').dataset.state)",
        timeout=30_000,
    )
    assert page.get_attribute("#population-toggle", "data-state") == "loaded"
    assert (
        page.evaluate("window.citywatchMap.getLayoutProperty('population-heat', 'visibility')") == "visible"
    )
    assert page.locator("#population-note").is_visible()
    data = page.evaluate("window.citywatchLayers.population")
    assert data["type"] == "FeatureCollection"
    page.uncheck("#population-toggle")
    assert page.evaluate("window.citywatchMap.getLayoutProperty('population-heat', 'visibility')") == "none"
