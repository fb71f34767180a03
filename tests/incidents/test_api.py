"""The incident API with the two district personas on every endpoint, filters and bad input."""

import datetime

import pytest

from citywatch.core.models import ObjectChange
from citywatch.incidents.models import Incident, IncidentLog
from tests.support.builders import new_incident
from tests.support.places import HULI, SIMING, place

J = "application/json"


def body(code=SIMING, **extra):
    lon, lat = place(code)
    return {"title": "内涝", "category": "natural_disaster", "type": "flood", "lon": lon, "lat": lat, **extra}


@pytest.mark.django_db
def test_create_locates_and_restricts(siming, huli, city_admin):
    r = siming.post("/api/v1/incidents/", body(), content_type=J)
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["area"]["code"].startswith(SIMING) and data["area"]["level"] in ("community", "street")
    assert data["status"] == "reported" and data["version"] == 1 and data["outside_city"] is False
    # A Siming officer cannot report in Huli.
    r = siming.post("/api/v1/incidents/", body(HULI), content_type=J)
    assert r.status_code == 422 and "不在您的管辖范围内" in r.json()["error"]["message"]
    pk = data["id"]
    assert huli.get(f"/api/v1/incidents/{pk}").status_code == 404
    assert city_admin.get(f"/api/v1/incidents/{pk}").status_code == 200
    assert [i["id"] for i in huli.get("/api/v1/incidents/").json()["items"]] == []
    assert pk in [i["id"] for i in siming.get("/api/v1/incidents/").json()["items"]]


@pytest.mark.django_db
def test_outside_every_district_is_flagged(duty_client):
    r = duty_client.post("/api/v1/incidents/", body(lon=120.5, lat=30.0), content_type=J)
    assert r.status_code == 201, r.content
    assert r.json()["outside_city"] is True and r.json()["area"]["level"] == "city"


@pytest.mark.django_db
def test_accident_severity_is_proposed(duty_client):
    r = duty_client.post(
        "/api/v1/incidents/",
        body(
            category="accident_disaster",
            type="fire",
            deaths=3,
            serious_injuries=9,
            direct_loss_cny="50000000",
        ),
        content_type=J,
    )
    assert r.status_code == 201 and r.json()["severity"] == "2" and r.json()["proposed_severity"] == "2"
    assert r.json()["severity_label"] == "Ⅱ级（重大）"
    r = duty_client.post("/api/v1/incidents/", body(severity="1"), content_type=J)
    assert r.json()["severity"] == "1" and r.json()["proposed_severity"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad",
    [
        {"type": "meteor"},
        {"category": "alien"},
        {"category": "accident_disaster", "type": "typhoon"},
        {"lon": 200, "lat": 24.4},
        {"lon": 24.46, "lat": 118.1},
        {"lon": "abc"},
        {"lon": None, "lat": None},
        {"severity": "5"},
        {"deaths": -1},
        {"direct_loss_cny": "-3"},
        {"title": ""},
        {"affected_area": {"type": "Point", "coordinates": [118, 24]}},
        {"affected_area": {"type": "Polygon", "coordinates": "nope"}},
        {"reported_via": "pigeon"},
        {"exercise": "maybe"},
        {"crs": "mars"},
    ],
)
def test_bad_input_is_422_and_writes_nothing(bad, duty_client):
    before = Incident.objects.count()
    r = duty_client.post("/api/v1/incidents/", {**body(), **bad}, content_type=J)
    assert r.status_code == 422, (bad, r.status_code, r.content)
    assert r.json()["error"]["message"]
    assert Incident.objects.count() == before


@pytest.mark.django_db
def test_affected_area_and_patch_with_version(duty_client, huli):
    lon, lat = place(SIMING)
    square = {
        "type": "Polygon",
        "coordinates": [
            [
                [lon - 0.01, lat - 0.01],
                [lon + 0.01, lat - 0.01],
                [lon + 0.01, lat + 0.01],
                [lon - 0.01, lat - 0.01],
            ]
        ],
    }
    r = duty_client.post("/api/v1/incidents/", body(affected_area=square), content_type=J)
    assert r.status_code == 201 and r.json()["affected_area"]["type"] == "MultiPolygon"
    url = f"/api/v1/incidents/{r.json()['id']}"
    r = duty_client.patch(url, {"deaths": 4, "version": 1}, content_type=J)
    assert r.status_code == 200 and r.json()["deaths"] == 4 and r.json()["version"] == 2
    r = duty_client.patch(url, {"title": "stale", "version": 1}, content_type=J)
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    assert huli.patch(url, {"title": "x"}, content_type=J).status_code == 404
    assert duty_client.patch(url, {"type": "fire"}, content_type=J).status_code == 422
    hl, ht = place(HULI)
    r = duty_client.patch(url, {"lon": hl, "lat": ht}, content_type=J)
    assert r.json()["area"]["code"].startswith(HULI)


@pytest.mark.django_db
def test_filters(duty_client):
    a = new_incident(title="台风 A", category="natural_disaster", type="typhoon", exercise=True)
    b = new_incident(code=HULI, title="火灾 B", category="accident_disaster", type="fire", severity="2")
    ids = lambda **q: {i["id"] for i in duty_client.get("/api/v1/incidents/", q).json()["items"]}  # noqa: E731
    assert ids(category="accident_disaster") == {b.pk}
    assert ids(severity="2") == {b.pk}
    assert ids(exercise="true") == {a.pk}
    assert ids(q="台风") == {a.pk}
    assert ids(status="reported") == {a.pk, b.pk}
    assert ids(area=HULI) == {b.pk}
    lon, lat = place(HULI)
    assert ids(bbox=f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}") == {b.pk}
    for bad in ({"bbox": "1,2,3"}, {"status": "burning"}, {"severity": "9"}, {"limit": 0}):
        assert duty_client.get("/api/v1/incidents/", bad).status_code == 422
    fc = duty_client.get("/api/v1/incidents/", {"format": "geojson"}).json()
    assert fc["type"] == "FeatureCollection" and fc["numberMatched"] == 2


@pytest.mark.django_db
def test_every_endpoint_two_districts(siming, huli, inspector):
    incident = new_incident()
    base = f"/api/v1/incidents/{incident.pk}"
    gets = ["", "/log", "/dispatches", "/supply-requests", "/participants", "/tasks", "/nearby"]
    for suffix in gets:
        assert siming.get(base + suffix).status_code == 200, suffix
        assert huli.get(base + suffix).status_code == 404, suffix
        assert inspector.get(base + suffix).status_code == 200, suffix
    posts = [
        ("/transitions", {"action": "verify"}),
        ("/reports", {"report": "first"}),
        ("/log", {"text": "到场"}),
        ("/participants", {"user": "siming_officer", "role": "liaison"}),
        ("/tasks", {"title": "疏散群众", "owner": "siming_officer"}),
        ("/dispatches", {"team": 1}),
        ("/supply-requests", {"depot": 1, "item": "X", "quantity": "1"}),
    ]
    for suffix, payload in posts:
        assert huli.post(base + suffix, payload, content_type=J).status_code == 404, suffix
        assert inspector.post(base + suffix, payload, content_type=J).status_code == 403, suffix
    assert huli.patch(base, {"title": "x"}, content_type=J).status_code == 404
    assert inspector.patch(base, {"title": "x"}, content_type=J).status_code == 403
    assert inspector.post("/api/v1/incidents/", body(), content_type=J).status_code == 403
    assert (
        siming.post(base + "/transitions", {"action": "verify", "version": 1}, content_type=J).status_code
        == 200
    )
    r = siming.post(base + "/transitions", {"action": "verify"}, content_type=J)
    assert r.status_code == 409 and "不能执行 verify 操作" in r.json()["error"]["message"]
    assert siming.post(base + "/transitions", {"action": "fly"}, content_type=J).status_code == 422
    assert siming.post(base + "/reports", {"report": "first"}, content_type=J).status_code == 200
    assert siming.get("/api/v1/incidents/999999").status_code == 404
    assert siming.get("/api/v1/incidents/overdue-reports").status_code == 200


@pytest.mark.django_db
def test_nearby_is_the_engines_answer(siming):
    incident = new_incident()
    r = siming.get(f"/api/v1/incidents/{incident.pk}/nearby", {"kinds": "rescue-teams", "minutes": 60})
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["incident"] == incident.pk and data["origin"]["lon"] == pytest.approx(incident.location.x)
    assert all(i["kind"] == "rescue-teams" for i in data["items"])
    assert siming.get(f"/api/v1/incidents/{incident.pk}/nearby", {"kinds": "ufo"}).status_code == 422


@pytest.mark.django_db
def test_log_participants_tasks_api(siming):
    incident = new_incident()
    base = f"/api/v1/incidents/{incident.pk}"
    assert siming.post(base + "/log", {"text": "现场积水 50 cm"}, content_type=J).status_code == 201
    assert siming.post(base + "/log", {"text": ""}, content_type=J).status_code == 422
    r = siming.post(base + "/participants", {"user": "commander", "role": "commander"}, content_type=J)
    assert r.status_code == 201 and r.json()["active"] is True
    pid = r.json()["id"]
    assert (
        siming.post(
            base + "/participants", {"user": "commander", "role": "commander"}, content_type=J
        ).status_code
        == 409
    )
    assert (
        siming.post(base + "/participants", {"user": "nobody", "role": "scribe"}, content_type=J).status_code
        == 422
    )
    assert (
        siming.post(base + "/participants", {"user": "commander", "role": "king"}, content_type=J).status_code
        == 422
    )
    r = siming.post(f"{base}/participants/{pid}/end", content_type=J)
    assert r.status_code == 200 and r.json()["ended_at"] and r.json()["active"] is False
    assert siming.post(f"{base}/participants/{pid}/end", content_type=J).status_code == 409
    r = siming.post(
        base + "/tasks",
        {"title": "转移群众", "owner": "siming_officer", "due_at": "2030-01-01T08:00:00+08:00"},
        content_type=J,
    )
    assert r.status_code == 201 and r.json()["status"] == "open"
    tid = r.json()["id"]
    assert (
        siming.post(f"{base}/tasks/{tid}/transitions", {"action": "done"}, content_type=J).json()["status"]
        == "done"
    )
    assert (
        siming.post(f"{base}/tasks/{tid}/transitions", {"action": "cancel"}, content_type=J).status_code
        == 409
    )
    assert (
        siming.post(f"{base}/tasks/{tid}/transitions", {"action": "reopen"}, content_type=J).json()["status"]
        == "open"
    )
    log = siming.get(base + "/log").json()
    assert log["count"] == IncidentLog.objects.filter(incident=incident).count() == 7
    assert [e["kind"] for e in log["items"]] == [
        "status",
        "note",
        "command",
        "command",
        "command",
        "command",
        "command",
    ]


@pytest.mark.django_db
def test_change_log_rows_and_the_log_is_append_only(duty_client, city_admin):
    from citywatch.incidents.models import ReadOnlyError

    r = duty_client.post("/api/v1/incidents/", body(), content_type=J)
    pk = r.json()["id"]
    duty_client.post(f"/api/v1/incidents/{pk}/transitions", {"action": "verify"}, content_type=J)
    changes = ObjectChange.objects.filter(content_type__model="incident", object_id=str(pk)).order_by("id")
    assert [c.action for c in changes] == ["create", "update"]
    assert changes[0].user_name == "duty_officer" and changes[1].after["status"] == "verified"
    listed = city_admin.get("/api/v1/changes", {"model": "incidents.incident", "object_id": str(pk)}).json()
    assert listed["count"] == 2
    entry = IncidentLog.objects.filter(incident_id=pk).first()
    with pytest.raises(ReadOnlyError):
        entry.save()
    with pytest.raises(ReadOnlyError):
        entry.delete()
    with pytest.raises(ReadOnlyError):
        IncidentLog.objects.filter(incident_id=pk).update(text="x")
    with pytest.raises(ReadOnlyError):
        IncidentLog.objects.filter(incident_id=pk).delete()


@pytest.mark.django_db
def test_a_due_time_without_offset_is_read_in_the_city_time_zone(siming):
    incident = new_incident()
    base = f"/api/v1/incidents/{incident.pk}/tasks"
    r = siming.post(base, {"title": "夜间巡查", "due_at": "2030-01-01T08:00"}, content_type=J)
    assert r.status_code == 201, r.content
    due = datetime.datetime.fromisoformat(r.json()["due_at"])
    assert due == datetime.datetime(2030, 1, 1, 0, 0, tzinfo=datetime.UTC)  # 08:00 in Asia/Shanghai
    r = siming.post(base, {"title": "夜间巡查", "due_at": "2030-13-01T08:00"}, content_type=J)
    assert r.status_code == 422


@pytest.mark.django_db
def test_people_given_roles_tasks_or_orders_must_work_where_the_incident_is(siming):
    incident = new_incident()  # in Siming
    base = f"/api/v1/incidents/{incident.pk}"
    before = IncidentLog.objects.filter(incident=incident).count()
    for url, body in (
        ("/participants", {"user": "huli_officer", "role": "liaison"}),
        ("/participants", {"user": "", "role": "liaison"}),
        ("/tasks", {"title": "核查", "owner": "huli_officer"}),
        ("/tasks", {"title": "核查", "due_at": "0001-01-01T00:00"}),
        ("/tasks", {"title": "核查", "due_at": "9999-12-31T23:59:00-05:00"}),
    ):
        r = siming.post(base + url, body, content_type=J)
        assert r.status_code in (400, 422), (url, body, r.status_code, r.content)
    assert IncidentLog.objects.filter(incident=incident).count() == before
    # The city's commander covers every district; the Siming officer covers Siming.
    for user in ("commander", "siming_officer"):
        r = siming.post(base + "/participants", {"user": user, "role": "liaison"}, content_type=J)
        assert r.status_code == 201, r.content


@pytest.mark.django_db
def test_supply_sources_need_the_right_to_see_stock(inspector, siming):
    incident = new_incident()
    url = f"/api/v1/incidents/{incident.pk}/supply-sources?item=LIFE_JACKET"
    assert siming.get(url).status_code == 200
    assert inspector.get(url).status_code == 403  # inspectors see incidents and depots, not stock
