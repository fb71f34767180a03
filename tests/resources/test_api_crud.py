"""CRUD of every resource kind through the API, restricted by jurisdiction and change-logged."""

import pytest

from citywatch.core.models import ObjectChange
from citywatch.resources.models import RescueTeam, Shelter

pytestmark = pytest.mark.django_db

# A point inside 思明区 and one inside 湖里区 (demo boundaries).
SIMING_PT = {"lon": 118.10, "lat": 24.46}


def team(**extra):
    return {
        "name": "思明区蓝天救援队",
        "kind": "social",
        "members": 40,
        "core_members": 12,
        "area_code": "350203",
        **SIMING_PT,
        **extra,
    }


def test_create_read_update_delete_team(siming):
    r = siming.post(
        "/api/v1/resources/rescue-teams/",
        team(equipment=[{"name": "冲锋舟", "quantity": 2, "unit": "艘"}]),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (
        body["name"] == "思明区蓝天救援队" and body["area_code"] == "350203" and body["status"] == "available"
    )
    pk = body["id"]
    assert siming.get(f"/api/v1/resources/rescue-teams/{pk}").json()["equipment"][0]["quantity"] == 2
    r = siming.patch(
        f"/api/v1/resources/rescue-teams/{pk}", {"status": "unavailable"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "unavailable"
    changes = ObjectChange.objects.filter(content_type__model="rescueteam", object_id=str(pk)).order_by("id")
    assert [c.action for c in changes] == ["create", "update"]
    assert changes[1].user_name == "siming_officer" and changes[1].source == "api"
    assert siming.delete(f"/api/v1/resources/rescue-teams/{pk}").status_code == 204
    assert not RescueTeam.objects.filter(pk=pk).exists()


def test_other_district_gets_404(siming, huli):
    pk = siming.post("/api/v1/resources/rescue-teams/", team(), content_type="application/json").json()["id"]
    assert huli.get(f"/api/v1/resources/rescue-teams/{pk}").status_code == 404
    assert (
        huli.patch(
            f"/api/v1/resources/rescue-teams/{pk}", {"status": "deployed"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert huli.delete(f"/api/v1/resources/rescue-teams/{pk}").status_code == 404
    assert pk not in [i["id"] for i in huli.get("/api/v1/resources/rescue-teams/").json()["items"]]


def test_create_outside_jurisdiction_is_refused(huli):
    r = huli.post("/api/v1/resources/rescue-teams/", team(), content_type="application/json")
    assert r.status_code == 422
    columns = {d["column"] for d in r.json()["error"]["details"]}
    assert "area_code" in columns


@pytest.mark.parametrize(
    ("patch", "column"),
    [
        ({"lon": 24.46, "lat": 118.10}, "lat"),
        ({"lon": 118.30, "lat": 24.70}, "lon"),
        ({"area_code": "999999"}, "area_code"),
        ({"kind": "wizards"}, "kind"),
        ({"core_members": 50}, "core_members"),
    ],
)
def test_bad_records_are_refused_with_the_column(siming, patch, column):
    before = RescueTeam.objects.count()
    r = siming.post("/api/v1/resources/rescue-teams/", team(**patch), content_type="application/json")
    assert r.status_code == 422, r.content
    assert column in {d["column"] for d in r.json()["error"]["details"]}
    assert RescueTeam.objects.count() == before


def test_negative_or_unknown_fields_are_422(siming):
    assert (
        siming.post(
            "/api/v1/resources/shelters/",
            {"name": "x", "kind": "disaster_point", "capacity": -5, "area_code": "350203", **SIMING_PT},
            content_type="application/json",
        ).status_code
        == 422
    )
    r = siming.post(
        "/api/v1/resources/shelters/",
        {
            "name": "x",
            "kind": "disaster_point",
            "capacity": 5,
            "area_code": "350203",
            "colour": "red",
            **SIMING_PT,
        },
        content_type="application/json",
    )
    assert r.status_code == 422


def test_geojson_list_and_filters(siming):
    siming.post(
        "/api/v1/resources/shelters/",
        {
            "name": "思明避灾点一",
            "kind": "disaster_point",
            "capacity": 200,
            "area_code": "350203",
            **SIMING_PT,
        },
        content_type="application/json",
    )
    fc = siming.get("/api/v1/resources/shelters/", {"format": "geojson", "status": "open"}).json()
    assert fc["type"] == "FeatureCollection" and fc["numberMatched"] >= 1
    assert fc["features"][0]["geometry"]["type"] == "Point"
    assert siming.get("/api/v1/resources/shelters/", {"status": "burning"}).status_code == 422
    assert siming.get("/api/v1/resources/shelters/", {"bbox": "1,2,3"}).status_code == 422


def test_gcj02_input_is_converted_and_recorded(siming):
    r = siming.post(
        "/api/v1/resources/facilities/",
        {
            "name": "直升机临时起降点",
            "kind": "helipad",
            "area_code": "350203",
            "crs": "gcj02",
            "lon": 118.105,
            "lat": 24.457,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["input_crs"] == "gcj02" and body["lon"] < 118.105 and body["lat"] > 24.457


def test_shelter_occupancy_history(siming):
    pk = siming.post(
        "/api/v1/resources/shelters/",
        {
            "name": "思明避灾点二",
            "kind": "disaster_point",
            "capacity": 100,
            "area_code": "350203",
            **SIMING_PT,
        },
        content_type="application/json",
    ).json()["id"]
    r = siming.post(
        f"/api/v1/resources/shelters/{pk}/occupancy", {"occupancy": 100}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "full"
    assert (
        siming.post(
            f"/api/v1/resources/shelters/{pk}/occupancy", {"occupancy": 101}, content_type="application/json"
        ).status_code
        == 400
    )
    history = siming.get(f"/api/v1/resources/shelters/{pk}/occupancy").json()
    assert [h["occupancy"] for h in history] == [100, 0]
    assert Shelter.objects.get(pk=pk).status == "full"


def test_roles_without_permission_get_403(inspector, team_leader):
    assert (
        inspector.post(
            "/api/v1/resources/rescue-teams/",
            {**team(), "area_code": "350203"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert inspector.get("/api/v1/resources/rescue-teams/").status_code == 200


@pytest.mark.parametrize(
    "equipment",
    [[{"quantity": 2}], [{"name": "冲锋舟", "quantity": -1}], [{"name": "", "quantity": 1}], "冲锋舟"],
)
def test_equipment_is_typed(siming, equipment):
    """Equipment is a list of {name, quantity, unit} in the OpenAPI document and is read as such."""
    before = RescueTeam.objects.count()
    r = siming.post(
        "/api/v1/resources/rescue-teams/", team(equipment=equipment), content_type="application/json"
    )
    assert r.status_code == 422, r.content
    assert RescueTeam.objects.count() == before
