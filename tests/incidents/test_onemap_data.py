"""What the one-map reads and edits: the incident's caller, people trapped and time of occurrence; a
severity upgrade logged as such; places outside China refused, at sea flagged; the ranked list's
decision data with the preferred team types; the population of a ring by district."""

import pytest

from citywatch.incidents.models import IncidentLog
from tests.support.builders import record_in
from tests.support.places import SIMING, place

J = "application/json"


def body(code=SIMING, **extra):
    lon, lat = place(code)
    return {"title": "内涝", "category": "natural_disaster", "type": "flood", "lon": lon, "lat": lat, **extra}


@pytest.mark.django_db
def test_edit_caller_trapped_time_and_severity_upgrade(duty_client):
    r = duty_client.post(
        "/api/v1/incidents/",
        body(
            caller_name="王小明",
            caller_phone="13800000000",
            people_trapped=6,
            occurred_at="2026-12-01T08:30:00",
        ),
        content_type=J,
    )
    assert r.status_code == 201, r.content
    data = r.json()
    assert (data["caller_name"], data["caller_phone"], data["people_trapped"]) == ("王小明", "13800000000", 6)
    assert data["occurred_at"].startswith("2026-12-01T08:30:00") and data["occurred_at"].endswith("+08:00")
    pk = data["id"]
    r = duty_client.patch(
        f"/api/v1/incidents/{pk}",
        {"severity": "2", "people_trapped": 9, "version": data["version"]},
        content_type=J,
    )
    assert r.status_code == 200, r.content
    assert r.json()["severity"] == "2" and r.json()["people_trapped"] == 9
    severity = IncidentLog.objects.get(incident_id=pk, kind="severity")
    assert severity.data["upgrade"] is True and "升级" in severity.text and "Ⅱ" in severity.text
    edit = IncidentLog.objects.get(incident_id=pk, kind="edit")
    assert edit.data["fields"] == ["people_trapped"] and "被困人数" in edit.text
    # Field names in messages are the labels people know.
    r = duty_client.patch(f"/api/v1/incidents/{pk}", {"occurred_at": "2099-01-01T00:00:00"}, content_type=J)
    assert r.status_code == 422 and "发生时间" in r.json()["error"]["message"]


@pytest.mark.django_db
def test_outside_china_refused_and_sea_flagged(duty_client):
    for lon, lat in ((0, 0), (2.35, 48.85), (140.0, 35.0)):
        r = duty_client.post("/api/v1/incidents/", body(lon=lon, lat=lat), content_type=J)
        assert r.status_code == 422 and "不在中国境内" in r.json()["error"]["message"], (lon, lat)
    # In the sea off Xiamen (east of 大担岛), inside the demo's land-and-sea coverage.
    r = duty_client.post("/api/v1/incidents/", body(lon=118.25, lat=24.38), content_type=J)
    assert r.status_code == 201, r.content
    assert r.json()["outside_city"] is True


@pytest.mark.django_db
def test_nearby_carries_decision_data_and_preferred_types(duty_client):
    team = record_in("rescue-teams")
    shelter = record_in("shelters")
    pk = duty_client.post("/api/v1/incidents/", body(), content_type=J).json()["id"]
    r = duty_client.get(f"/api/v1/incidents/{pk}/nearby", {"kinds": "rescue-teams,shelters", "limit": 200})
    assert r.status_code == 200, r.content
    answer = r.json()
    assert answer["preferred_team_types"][0] == "water_rescue"
    items = {(i["kind"], i["id"]): i for i in answer["items"]}
    t = items[("rescue-teams", team.pk)]["details"]
    assert t["type"] == team.kind and t["type_label"] and t["members"] == team.members
    s = items[("shelters", shelter.pk)]["details"]
    assert s["capacity"] == shelter.capacity and s["free"] == max(0, shelter.capacity - shelter.occupancy)


@pytest.mark.django_db
def test_reach_by_district(duty_client):
    pk = duty_client.post("/api/v1/incidents/", body(), content_type=J).json()["id"]
    r = duty_client.get(f"/api/v1/incidents/{pk}/reach", {"minutes": 15})
    assert r.status_code == 200, r.content
    reach = r.json()
    assert reach["minutes"] == 15 and reach["geometry"]["type"] in ("Polygon", "MultiPolygon")
    if reach["persons"] is not None:
        assert reach["districts"] and reach["districts"][0]["name"] == "思明区"
        assert sum(d["persons"] for d in reach["districts"]) == pytest.approx(
            reach["persons"], rel=0.02, abs=5
        )


@pytest.mark.django_db
def test_report_form_asks_to_confirm_a_point_outside_the_city(duty_client):
    form = {
        "title": "海上渔船遇险",
        "category": "natural_disaster",
        "type": "typhoon",
        "lon": "118.25",
        "lat": "24.38",
        "crs": "wgs84",
        "reported_via": "phone",
        "people_trapped": "3",
        "caller_name": "陈船长",
    }
    r = duty_client.post("/incidents/new/", form)
    body = r.content.decode()
    assert r.status_code == 422 and 'id="confirm-location"' in body and "确认事发地点无误" in body
    assert "海上搜救分中心" in body  # the nearest maritime search-and-rescue sub-centres are named
    r = duty_client.post("/incidents/new/", {**form, "confirm_location": "1"})
    assert r.status_code == 302, r.content.decode()[:2000]
    r = duty_client.post("/incidents/new/", {**form, "lon": "0", "lat": "0", "confirm_location": "1"})
    assert r.status_code == 422 and "不在中国境内" in r.content.decode()


@pytest.mark.django_db
def test_an_edit_is_an_event_and_the_detail_carries_the_header(duty_client):
    """An edit reaches open one-maps as an "edit" event naming the fields; the incident's answer carries
    what its header shows (type and place by name, the team types it calls for)."""
    from citywatch.core.models import User
    from citywatch.incidents import events

    duty = User.objects.get(username="duty_officer")
    data = duty_client.post("/api/v1/incidents/", body(), content_type=J).json()
    cursor = IncidentLog.objects.order_by("-id").values_list("id", flat=True).first()
    r = duty_client.patch(
        f"/api/v1/incidents/{data['id']}",
        {"severity": "2", "caller_name": "陈大山", "description": "积水", "version": data["version"]},
        content_type=J,
    )
    assert r.status_code == 200, r.content
    detail = r.json()
    assert detail["type_label"] == "洪涝"  # the type's label, not its code
    assert detail["place"][0] == "思明区" and len(detail["place"]) >= 2
    assert detail["preferred_team_types"][0] == "water_rescue"
    _, sent = events.poll(duty, cursor)
    edits = [e for e in sent if e["type"] == "edit"]
    assert [sorted(e["fields"]) for e in edits] == [["severity"], ["caller_name", "description"]]
    assert all(e["incident"] == data["id"] and e["version"] == detail["version"] for e in edits)
    # Team leaders, who see only their orders, get no edit events of an incident they have no order for …
    leader = User.objects.get(username="team_leader")
    assert events.poll(leader, cursor)[1] == []
    # … and those of an incident they have one for, without the log's text.
    from citywatch.incidents import actions
    from citywatch.incidents.models import Incident

    team = record_in("rescue-teams")
    incident = Incident.objects.get(pk=data["id"])
    actions.request_dispatch(incident, team.pk, duty, assigned_to=leader)
    cursor = IncidentLog.objects.order_by("-id").values_list("id", flat=True).first()
    r = duty_client.patch(
        f"/api/v1/incidents/{data['id']}", {"people_trapped": 4, "version": detail["version"]}, content_type=J
    )
    assert r.status_code == 200, r.content
    sent = events.poll(leader, cursor)[1]
    assert [(e["type"], e["fields"]) for e in sent] == [("edit", ["people_trapped"])]
    assert "log" not in sent[0]
