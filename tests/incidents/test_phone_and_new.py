"""The team leader's phone page says where to go; team leaders land on it after login; the new-incident
form has a map picker (hidden without JavaScript) and a readable exercise label; MapLibre's controls get
translated titles with keys the vendored MapLibre knows."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.test import Client

from citywatch.core.models import AdminArea, User
from citywatch.incidents import actions
from tests.support.builders import new_incident
from tests.support.personas import DEMO_PASSWORD
from tests.support.places import SIMING

pytestmark = pytest.mark.django_db

STATIC = Path(__file__).resolve().parents[2] / "src" / "citywatch" / "static"


def client_for(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def order_for_team_leader(duty, **incident_fields):
    from citywatch.resources.models import RescueTeam

    incident = new_incident(**incident_fields)
    team = RescueTeam.objects.filter(status="available", location__isnull=False).first()
    if team is None:
        pytest.skip("the demo has no available team with a location")
    leader = User.objects.get(username="team_leader")
    dispatch = actions.request_dispatch(incident, team.pk, duty, assigned_to=leader)
    return incident, dispatch


def test_phone_order_says_where_to_go(duty):
    incident, dispatch = order_for_team_leader(duty, title="山体滑坡 (北坡) <b>")
    type(dispatch).objects.filter(pk=dispatch.pk).update(eta_s=250)
    body = client_for("team_leader").get("/m/dispatches/").content.decode()

    # The area from the district down, from the incident's area and its ancestors.
    codes = [c for c in incident.area.path.split(".") if c]
    areas = {a.code: a for a in AdminArea.objects.filter(code__in=codes)}
    expected = " · ".join(
        areas[c].name for c in codes if areas[c].level in ("district", "street", "community")
    )
    assert areas[SIMING].name in expected
    assert f'<div class="order-place">{expected}</div>' in body
    # The title, escaped; the coordinates (WGS-84, 6 decimals); the geo: link to the phone's map app.
    assert "山体滑坡 (北坡) &lt;b&gt;" in body and "<b>" not in body
    lon, lat = f"{incident.location.x:.6f}", f"{incident.location.y:.6f}"
    assert f'<span class="lon">{lon}</span>' in body and f'<span class="lat">{lat}</span>' in body
    href = re.search(r'<a class="order-navigate nav-geo" href="([^"]+)"', body).group(1)
    assert href.startswith(f"geo:{lat},{lon}?q={lat},{lon}(") and href.endswith(")")
    assert unquote(href.split("(", 1)[1][:-1]) == "山体滑坡 （北坡） <b>"
    assert "http" not in href
    # ETA through ngettext (250 s → 4 minutes), no bare English "min" after the translated label.
    assert re.search(r'<span class="order-eta">预计通行时间 4\b', body)
    assert 'class="order-distance"' in body


def test_phone_order_status_label_with_full_width_colon(duty):
    """Chinese text takes the full-width colon: 状态：已下达, not 状态: 已下达."""
    order_for_team_leader(duty)
    body = client_for("team_leader").get("/m/dispatches/").content.decode()
    assert '<div class="order-status">状态：<strong class="dispatch-status">已下达</strong></div>' in body


def test_phone_order_in_english(duty):
    _, dispatch = order_for_team_leader(duty)
    type(dispatch).objects.filter(pk=dispatch.pk).update(eta_s=60)
    client = client_for("team_leader")
    client.post("/i18n/setlang/", {"language": "en", "next": "/m/dispatches/"})
    body = client.get("/m/dispatches/").content.decode()
    assert '<html lang="en"' in body
    assert '<span class="order-eta">ETA 1 min</span>' in body
    assert re.search(r'<span class="order-distance">[0-9.]+ km in a straight line</span>', body)
    assert ">Amap</a>" in body and ">Baidu Maps</a>" in body and ">Other map app</a>" in body
    assert '<div class="order-status">Status: <strong' in body


# --- Landing after login --------------------------------------------------------------------------


def login(data):
    client = Client()
    response = client.post("/login/", {"password": DEMO_PASSWORD, **data})
    assert response.status_code == 302, response.content[:500]
    return client, response["Location"]


def test_team_leader_lands_on_orders():
    client, location = login({"username": "team_leader"})
    assert location == "/m/dispatches/"
    assert client.get(location).status_code == 200
    assert client.get("/").url == "/m/dispatches/"
    # Already logged in, the login page sends them there too.
    assert client.get("/login/").url == "/m/dispatches/"


def test_team_leader_with_next_goes_there():
    _, location = login({"username": "team_leader", "next": "/changes/"})
    assert location == "/changes/"
    # An unsafe next is ignored: the landing page instead.
    _, location = login({"username": "team_leader", "next": "https://evil.example/"})
    assert location == "/m/dispatches/"


def test_others_still_land_on_the_map():
    _, location = login({"username": "inspector"})
    assert location == "/map/"
    # Duty officers (and commanders) land on the duty screen (issue 11, item 10).
    _, location = login({"username": "duty_officer"})
    assert location == "/duty/"


# --- The new-incident form ------------------------------------------------------------------------


def test_new_form_has_map_picker_and_readable_exercise_label(duty_client):
    body = duty_client.get("/incidents/new/").content.decode()
    picker = re.search(r'<div class="map-picker" id="incident-map-picker"([^>]*)>', body)
    assert picker and "hidden" in picker.group(1)  # shown by the script only: the form works without it
    assert 'data-areas-url="/api/v1/areas"' in body
    assert "maplibre-gl.js" in body and "maplibre-gl.css" in body and "incident-new.js" in body
    label = re.search(r'<label for="id_exercise">([^<]*)</label>', body).group(1)
    assert "·" not in label and label.count("演练") <= 1
    # The form's fields are untouched: lon, lat and the crs select are still plain inputs.
    for field in ('name="lon"', 'name="lat"', 'name="crs"'):
        assert field in body


def test_districts_api_the_picker_uses(duty_client):
    r = duty_client.get("/api/v1/areas?level=district&format=geojson&limit=100")
    assert r.status_code == 200
    features = r.json()["features"]
    assert features and all(f["properties"]["level"] == "district" for f in features)
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)


def test_filter_button_is_styled():
    css = (STATIC / "citywatch" / "css" / "app.css").read_text()
    assert re.search(r"^\.filters button \{[^}]*background", css, re.M)


def test_maplibre_locale_keys_exist_in_vendored_maplibre():
    text = (STATIC / "citywatch" / "js" / "map-locale.js").read_text()
    block = re.search(r"window.CityWatchMapLocale = \{(.*?)\n  \};", text, re.S).group(1)
    keys = re.findall(r'"([A-Za-z]+\.[A-Za-z]+)":', block)
    assert "NavigationControl.ZoomIn" in keys and "AttributionControl.ToggleAttribution" in keys
    vendored = (STATIC / "vendor" / "maplibre-gl" / "maplibre-gl.js").read_text()
    assert [k for k in keys if f'"{k}":' not in vendored] == []


@pytest.mark.parametrize(
    "script, template",
    [
        ("map.js", "core/templates/core/map.html"),
        ("incident-new.js", "incidents/templates/incidents/new.html"),
        ("onemap.js", "incidents/templates/incidents/detail.html"),
    ],
)
def test_every_map_uses_the_translated_locale(script, template):
    # Every map is made by basemap.js (the shared basemap), which passes the translated locale.
    shared = (STATIC / "citywatch" / "js" / "basemap.js").read_text()
    assert "locale: window.CityWatchMapLocale" in shared
    text = (STATIC / "citywatch" / "js" / script).read_text()
    assert "CityWatchBasemap.createMap(" in text and "new maplibregl.Map(" not in text
    page = (STATIC.parent / template).read_text()
    assert (
        page.index("citywatch/js/map-locale.js")
        < page.index("citywatch/js/basemap.js'")
        < page.index(f"citywatch/js/{script}'")
    )
