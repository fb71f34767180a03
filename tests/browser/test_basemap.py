"""The basemap in a real browser with every request off this machine blocked: the map page draws land
and sea in their colours, the roads, and names (symbol layers with rendered features), and so does an
incident's one-map. Screenshots at 1920×1080 go to var/screenshots/."""

from __future__ import annotations

import io
import os
from urllib.parse import urlparse

import pytest

from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "var/screenshots"
LAND = (117.75, 24.55)  # Zhangzhou: land outside Xiamen's districts, no demo data on it
SEA = (118.20, 24.38)  # south of Xiamen Island, 2 km from the coast
LABEL_LAYERS = ["label-district", "label-street", "label-community", "label-road", "label-city"]


@pytest.fixture
def offline(page):
    """Every request to another host is aborted and recorded."""
    attempted = []

    def route(r):
        if urlparse(r.request.url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            attempted.append(r.request.url)
            r.abort()

    page.set_viewport_size({"width": 1920, "height": 1080})
    page.route("**/*", route)
    return attempted


def _idle(page):
    page.wait_for_function("() => window.citywatchMap && window.citywatchMap.isStyleLoaded()", timeout=30_000)
    page.evaluate(
        """() => new Promise((resolve) => {
             const map = window.citywatchMap;
             const done = () => (map.areTilesLoaded() ? resolve() : map.once("idle", done));
             map.once("idle", done);
             map.triggerRepaint();
           })"""
    )


def _pixel(page, lonlat):
    from PIL import Image

    box = page.locator("canvas.maplibregl-canvas").bounding_box()
    x, y = page.evaluate(
        "([lon, lat]) => { const p = window.citywatchMap.project([lon, lat]); return [p.x, p.y]; }",
        list(lonlat),
    )
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    return shot.getpixel((int(box["x"] + x), int(box["y"] + y)))


def _style_colour(page, layer):
    """The fill colour of a basemap layer, as the style says (``#rrggbb``)."""
    value = page.evaluate("(id) => window.citywatchMap.getPaintProperty(id, 'fill-color')", layer)
    return tuple(int(value[i : i + 2], 16) for i in (1, 3, 5))


def _close(a, b, tolerance=6):
    return all(abs(p - q) <= tolerance for p, q in zip(a, b, strict=True))


def _rendered_labels(page):
    return page.evaluate(
        """(ids) => {
             const map = window.citywatchMap;
             const layers = ids.filter((id) => map.getLayer(id));
             const out = {};
             map.queryRenderedFeatures({ layers }).forEach((f) => {
               (out[f.layer.id] = out[f.layer.id] || []).push(f.properties.name);
             });
             return out;
           }""",
        LABEL_LAYERS,
    )


def test_the_map_page_draws_land_sea_roads_and_names_offline(page, demo_live_server, offline):
    base = demo_live_server.url
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, base, "city_admin")
    page.wait_for_url(f"{base}/map/")
    page.wait_for_selector("#map[data-loaded=true]", timeout=30_000)
    # The page's own layers off, so the pixels are the basemap's.
    for box in page.locator("input[data-layer], input[data-resource]").all():
        if box.is_checked():
            box.uncheck()
    page.evaluate("() => window.citywatchMap.jumpTo({ center: [118.0, 24.5], zoom: 10 })")
    _idle(page)
    land, sea = _pixel(page, LAND), _pixel(page, SEA)
    assert _close(land, _style_colour(page, "land")), land
    assert _close(sea, _style_colour(page, "water")), sea
    assert sum(abs(a - b) for a, b in zip(land, sea, strict=True)) > 60  # two distinct colours
    labels = _rendered_labels(page)
    assert {"思明区", "海沧区", "集美区"} <= set(labels.get("label-district", [])), labels
    # Closer in: streets and their names, and the labels of the streets (街道) of the island.
    page.evaluate("() => window.citywatchMap.jumpTo({ center: [118.09, 24.47], zoom: 14.5 })")
    _idle(page)
    labels = _rendered_labels(page)
    assert any(name.endswith("(演示)") for name in labels.get("label-road", [])), labels
    roads = page.evaluate(
        "() => window.citywatchMap.queryRenderedFeatures({ layers: ['road-street', 'road-secondary'] })"
        ".length"
    )
    assert roads > 10
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/basemap-map-z14.png")
    page.goto("about:blank")  # no tile request outlives the test's database
    assert not offline, offline  # nothing tried to leave the machine
    assert not errors, errors


def test_the_onemap_has_the_basemap_offline(page, demo_live_server, offline):
    from tests.support.browser import api_client

    base = demo_live_server.url
    duty = api_client("duty_officer")
    r = duty.post(
        "/api/v1/incidents/",
        {
            "title": "海沧内涝（测试）",
            "category": "natural_disaster",
            "type": "flood",
            "lon": 118.03,
            "lat": 24.49,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    login(page, base, "duty_officer")
    page.wait_for_load_state()
    page.goto(f"{base}/incidents/{r.json()['id']}/")
    page.wait_for_selector("#onemap[data-nearby=loaded]", state="attached", timeout=30_000)
    _idle(page)
    labels = _rendered_labels(page)
    assert labels.get("label-street") or labels.get("label-district"), labels
    assert page.evaluate("() => window.citywatchMap.queryRenderedFeatures({ layers: ['land'] }).length") > 0
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/basemap-onemap.png")
    page.evaluate("() => window.citywatchEvents && window.citywatchEvents.close()")
    page.goto("about:blank")
    assert not offline, offline
