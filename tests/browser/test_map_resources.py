"""The map's resource layers: one per kind, loaded when first switched on, clustered when dense, shelters
sized by capacity and coloured by status, a popup linking to the record's page, and the coverage layer
(gaps in red). Records are created through the API here so the test does not depend on the demo's
resources; it holds whether or not the demo loads any."""

import pytest

from tests.support.browser import api_client, create, open_map
from tests.support.places import HULI, SIMING

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Points inside the demo boundaries of 思明区 and 湖里区.
SIMING_BIG = {"area_code": SIMING, "lon": 118.100, "lat": 24.460}
SIMING_FULL = {"area_code": SIMING, "lon": 118.106, "lat": 24.466}
HULI_PT = {"area_code": HULI, "lon": 118.1444, "lat": 24.5205}

OPEN_GREEN, FULL_ORANGE = "#16a34a", "#f97316"


@pytest.fixture
def records(demo_live_server):
    """A few resources in 思明区 and one of each in 湖里区, made through the API by the city admin."""
    admin = api_client("city_admin")
    big = create(
        admin, "shelters", name="测试避难场所（大）", kind="earthquake", capacity=20000, **SIMING_BIG
    )
    full = create(
        admin, "shelters", name="测试避灾点（满）", kind="disaster_point", capacity=150, **SIMING_FULL
    )
    r = admin.post(
        f"/api/v1/resources/shelters/{full['id']}/occupancy",
        {"occupancy": 150},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "full"
    huli_shelter = create(
        admin, "shelters", name="湖里测试避灾点", kind="disaster_point", capacity=300, **HULI_PT
    )
    team = create(
        admin,
        "rescue-teams",
        name="思明测试救援队",
        kind="social",
        members=30,
        status="deployed",
        lon=118.095,
        lat=24.455,
        area_code=SIMING,
    )
    huli_team = create(
        admin,
        "rescue-teams",
        name="湖里测试救援队",
        kind="social",
        members=20,
        lon=118.147,
        lat=24.523,
        area_code=HULI,
    )
    terminal = create(
        admin,
        "facilities",
        name="思明测试预警终端",
        kind="eew_terminal",
        lon=118.098,
        lat=24.462,
        area_code=SIMING,
    )
    return {
        "big": big,
        "full": full,
        "huli_shelter": huli_shelter,
        "team": team,
        "huli_team": huli_team,
        "terminal": terminal,
    }


def switch_on(page, kind):
    """Tick a layer's box and wait until its data has arrived (or failed); returns data-state."""
    box = f'input[data-resource="{kind}"]'
    page.check(box)
    page.wait_for_function(
        "(box) => ['loaded', 'unavailable', 'error'].includes(document.querySelector(box).dataset.state)",
        arg=box,
        timeout=30_000,
    )
    return page.get_attribute(box, "data-state")


def wait_loaded(page, kind):
    page.wait_for_selector(
        f'input[data-resource="{kind}"][data-state=loaded]', state="attached", timeout=30_000
    )


def features(page, kind):
    return page.evaluate(
        "(kind) => (window.citywatchLayers[kind] || {features: []}).features.map(f => f.properties)", kind
    )


def jump(page, lon, lat, zoom):
    page.evaluate(
        """([lon, lat, zoom]) => new Promise((done) => {
        const map = window.citywatchMap;
        map.once('idle', done);
        map.jumpTo({center: [lon, lat], zoom: zoom});
    })""",
        [lon, lat, zoom],
    )


def rendered(page, layer, lon, lat):
    """The features of `layer` drawn at lon/lat, with their evaluated colour (hex) and radius."""
    return page.evaluate(
        """([layer, lon, lat]) => {
        const map = window.citywatchMap;
        const pt = map.project([lon, lat]);
        const hex = (c) => '#' + [c.r, c.g, c.b]
            .map(v => Math.round(v * 255).toString(16).padStart(2, '0')).join('');
        return map.queryRenderedFeatures([[pt.x - 2, pt.y - 2], [pt.x + 2, pt.y + 2]], {layers: [layer]})
            .map(f => ({name: f.properties.name, colour: hex(f.layer.paint['circle-color']),
                        radius: f.layer.paint['circle-radius']}));
    }""",
        [layer, lon, lat],
    )


def click_at(page, lon, lat):
    x, y = page.evaluate(
        """([lon, lat]) => {
        const map = window.citywatchMap;
        const pt = map.project([lon, lat]);
        const box = map.getCanvas().getBoundingClientRect();
        return [box.left + pt.x, box.top + pt.y];
    }""",
        [lon, lat],
    )
    page.mouse.click(x, y)


def test_city_admin_layers_styles_and_popup(page, demo_live_server, records):
    base = demo_live_server.url
    open_map(page, base, "city_admin")
    # Shelters and rescue teams are on by default; the other kinds load only when switched on.
    wait_loaded(page, "shelters")
    wait_loaded(page, "rescue-teams")
    assert page.is_checked('input[data-resource="shelters"]')
    assert page.is_checked('input[data-resource="rescue-teams"]')
    assert not page.is_checked('input[data-resource="facilities"]')
    assert page.evaluate("() => window.citywatchLayers.facilities === undefined")

    all_shelters = features(page, "shelters")
    shelters = {p["name"]: p for p in all_shelters}
    assert {"测试避难场所（大）", "测试避灾点（满）", "湖里测试避灾点"} <= set(shelters)
    assert shelters["测试避灾点（满）"]["status"] == "full"
    teams = {p["name"] for p in features(page, "rescue-teams")}
    assert {"思明测试救援队", "湖里测试救援队"} <= teams
    # The side panel counts what is drawn.
    count = page.get_attribute('input[data-resource="shelters"]', "data-count")
    assert int(count) == len(all_shelters)
    assert page.inner_text('[data-count-for="shelters"]').replace(",", "") == count
    # The legend explains the layers that are on.
    legend = page.inner_text("#map-legend")
    assert page.locator('#map-legend [data-legend-for="shelters"]').count() == 1
    assert page.locator('#map-legend [data-legend-for="facilities"]').count() == 0
    assert legend.strip()

    assert switch_on(page, "facilities") == "loaded"
    terminals = [p for p in features(page, "facilities") if p["name"] == "思明测试预警终端"]
    assert terminals and terminals[0]["kind"] == "eew_terminal"
    assert page.locator('#map-legend [data-legend-for="facilities"]').count() == 1

    # Dense kinds are clustered at city scale: the two 思明 shelters, 800 m apart, make one cluster.
    jump(page, 118.103, 24.463, 9)
    clusters = page.evaluate("""() => window.citywatchMap
        .queryRenderedFeatures({layers: ['res-shelters-cluster']}).map(f => f.properties.point_count)""")
    assert clusters and max(clusters) >= 2
    assert page.locator(".cluster-count").count() >= 1

    # Close up: a shelter is a circle coloured by status and sized by capacity.
    page.uncheck('input[data-resource="rescue-teams"]')
    page.uncheck('input[data-resource="facilities"]')
    jump(page, SIMING_BIG["lon"], SIMING_BIG["lat"], 16)
    big = [
        f
        for f in rendered(page, "res-shelters-point", SIMING_BIG["lon"], SIMING_BIG["lat"])
        if f["name"] == "测试避难场所（大）"
    ]
    full = [
        f
        for f in rendered(page, "res-shelters-point", SIMING_FULL["lon"], SIMING_FULL["lat"])
        if f["name"] == "测试避灾点（满）"
    ]
    assert big and full, "both test shelters are drawn"
    assert big[0]["colour"] == OPEN_GREEN and full[0]["colour"] == FULL_ORANGE
    assert big[0]["radius"] > full[0]["radius"] + 5

    # Clicking it opens a popup (built with DOM APIs) linking to the shelter's page.
    click_at(page, SIMING_BIG["lon"], SIMING_BIG["lat"])
    link = page.locator(".maplibregl-popup a.popup-title")
    link.first.wait_for(timeout=5_000)
    assert link.first.get_attribute("href") == f"/resources/shelters/{records['big']['id']}/"
    assert link.first.inner_text() == "测试避难场所（大）"
    popup = page.inner_text(".maplibregl-popup")
    assert "20,000" in popup or "20000" in popup
    # Records made through the API are real, not synthetic: no demo badge.
    assert page.locator(".maplibregl-popup .badge.synthetic").count() == 0


def test_siming_officer_sees_only_siming_resources(page, demo_live_server, records):
    base = demo_live_server.url
    open_map(page, base, "siming_officer")
    wait_loaded(page, "shelters")
    wait_loaded(page, "rescue-teams")
    assert switch_on(page, "facilities") == "loaded"
    names = set()
    for kind in ("shelters", "rescue-teams", "facilities"):
        props = features(page, kind)
        assert props, kind
        assert all(p["area_code"].startswith(SIMING) for p in props), kind
        names |= {p["name"] for p in props}
    assert {"测试避难场所（大）", "测试避灾点（满）", "思明测试救援队", "思明测试预警终端"} <= names
    assert not names & {"湖里测试避灾点", "湖里测试救援队"}
    # What MapLibre holds is the same: nothing from 湖里区 reached the map.
    drawn = page.evaluate("""() => ['shelters', 'rescue-teams', 'facilities'].flatMap(k =>
        window.citywatchMap.querySourceFeatures('overlay-' + k).filter(f => !f.properties.cluster)
            .map(f => f.properties.area_code))""")
    assert drawn and all(code.startswith(SIMING) for code in drawn)
    assert "湖里测试" not in page.content()


def test_coverage_missing_endpoint_leaves_layer_empty_with_note(page, demo_live_server):
    base = demo_live_server.url
    page.route(
        "**/api/v1/coverage*",
        lambda route: route.fulfill(
            status=404,
            content_type="application/json",
            body='{"error": {"code": "not_found", "message": "No such API endpoint.", "details": null}}',
        ),
    )
    open_map(page, base, "city_admin")
    assert switch_on(page, "coverage") == "unavailable"
    assert page.is_visible("#layers-note")
    assert page.evaluate("() => window.citywatchLayers.coverage.features.length") == 0
    # The rest of the map carries on.
    wait_loaded(page, "shelters")


def test_coverage_gaps_are_drawn_red(page, demo_live_server, records):
    base = demo_live_server.url
    if api_client("city_admin").get("/api/v1/coverage", {"format": "geojson"}).status_code == 404:
        pytest.skip("GET /api/v1/coverage does not exist yet")
    open_map(page, base, "city_admin")
    assert switch_on(page, "coverage") == "loaded"
    gaps = [p for p in features(page, "coverage") if p["met"] is not True]
    assert gaps, "the test city has communities without a shelter point, so there are gaps"
    page.evaluate("""() => new Promise((done) => {
        window.citywatchMap.once('idle', done);
        window.citywatchMap.triggerRepaint();
    })""")
    colours = page.evaluate("""() => window.citywatchMap.queryRenderedFeatures({layers: ['coverage-gap']})
        .map(f => ['r', 'g', 'b'].map(k => Math.round(f.layer.paint['circle-color'][k] * 255)))""")
    assert colours and all(r > 200 and g < 80 and b < 80 for r, g, b in colours)
    # A gap's popup says which requirement is missing.
    page.uncheck('input[data-resource="shelters"]')
    page.uncheck('input[data-resource="rescue-teams"]')
    gap = page.evaluate("""() => window.citywatchLayers.coverage.features
        .find(f => f.properties.met !== true && f.properties.level === 'community').geometry.coordinates""")
    jump(page, gap[0], gap[1], 15)
    click_at(page, gap[0], gap[1])
    page.locator(".maplibregl-popup .coverage-gap").first.wait_for(timeout=5_000)
    assert page.locator(".maplibregl-popup .requirements li.gap").count() >= 1


def test_layers_follow_permissions(page, demo_live_server):
    """A team leader may not view duty people or experts: no toggle for them, nor for coverage, which
    counts them."""
    base = demo_live_server.url
    open_map(page, base, "team_leader")
    offered = page.eval_on_selector_all("input[data-resource]", "boxes => boxes.map(b => b.dataset.resource)")
    assert {"shelters", "rescue-teams", "facilities"} <= set(offered)
    assert not {"duty-people", "experts", "coverage"} & set(offered)
    wait_loaded(page, "shelters")
