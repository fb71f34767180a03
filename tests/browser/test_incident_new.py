"""The new-incident form's map picker: a click on the map fills longitude and latitude (WGS-84) and the
report is created in the district clicked."""

import pytest

from tests.support.browser import close_streams, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TONGAN = "350212"
SPOT = (118.15, 24.73)  # inside 同安区


def test_click_on_map_fills_location_and_reports_there(page, demo_live_server):
    from citywatch.incidents.models import Incident

    base = demo_live_server.url
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, base, "duty_officer")
    page.wait_for_load_state()
    page.goto(f"{base}/incidents/new/")
    page.wait_for_selector("#incident-map[data-districts=loaded]", state="attached", timeout=30_000)
    assert page.is_visible("#incident-map-picker")
    page.select_option("#id_crs", "gcj02")

    # Click the map where SPOT is drawn.
    x, y = page.evaluate("p => { const q = window.citywatchMap.project(p); return [q.x, q.y]; }", list(SPOT))
    page.locator("#incident-map canvas").click(position={"x": x, "y": y})
    lon, lat = float(page.input_value("#id_lon")), float(page.input_value("#id_lat"))
    assert abs(lon - SPOT[0]) < 0.01 and abs(lat - SPOT[1]) < 0.01
    assert len(page.input_value("#id_lon").split(".")[1]) == 6
    assert page.input_value("#id_crs") == "wgs84"
    assert page.get_attribute("#incident-map-status", "data-district") == TONGAN
    assert "同安区" in page.inner_text("#incident-map-status")

    page.fill("#id_title", "地图选点上报")
    page.select_option("#id_category", "natural_disaster")
    page.select_option("#id_type", "landslide")
    page.click("#incident-form button[type=submit]")
    page.wait_for_url(f"{base}/incidents/*/")
    close_streams(page)  # the incident's one-map opens a live stream: closed before the test ends
    incident = Incident.objects.select_related("area").get(title="地图选点上报")
    assert incident.area.path.split(".")[1] == TONGAN and not incident.outside_city
    assert abs(incident.location.x - lon) < 1e-6 and abs(incident.location.y - lat) < 1e-6
    assert not errors, errors
