"""The incident pages: list, report form, one-map, the team leader's orders, and the live event stream."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

from citywatch.core.models import User
from citywatch.incidents import actions
from citywatch.incidents.models import Incident
from tests.support.builders import new_incident
from tests.support.places import HULI, SIMING, place

pytestmark = pytest.mark.django_db


def client_for(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.mark.parametrize(
    "path", ["/incidents/", "/incidents/new/", "/incidents/1/", "/m/dispatches/", "/incidents/events"]
)
def test_pages_need_login(path):
    r = Client().get(path)
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_list_shows_badge_and_filters(duty_client):
    drill = new_incident(title="演练事件甲", exercise=True)
    real = new_incident(title="真实事件乙", code=HULI)
    r = duty_client.get("/incidents/")
    body = r.content.decode()
    assert r.status_code == 200 and "演练事件甲" in body and "真实事件乙" in body
    assert 'class="badge exercise"' in body
    r = duty_client.get("/incidents/?exercise=true")
    assert drill.title in r.content.decode() and real.title not in r.content.decode()
    r = duty_client.get("/incidents/?area=" + HULI)
    assert real.title in r.content.decode() and drill.title not in r.content.decode()
    # Bad filter values are ignored with a warning, never a 500.
    r = duty_client.get("/incidents/?severity=9&status=nonsense&area=abc")
    assert r.status_code == 200 and 'role="alert"' in r.content.decode()


def test_jurisdiction(db):
    siming = new_incident(title="思明的事件", code=SIMING)
    huli = new_incident(title="湖里的事件", code=HULI)
    c = client_for("siming_officer")
    body = c.get("/incidents/").content.decode()
    assert "思明的事件" in body and "湖里的事件" not in body
    assert c.get(f"/incidents/{siming.pk}/").status_code == 200
    assert c.get(f"/incidents/{huli.pk}/").status_code == 404
    assert client_for("huli_officer").get(f"/incidents/{siming.pk}/").status_code == 404


def test_one_map_page(duty_client):
    incident = new_incident(title="一张图测试", exercise=True)
    r = duty_client.get(f"/incidents/{incident.pk}/")
    body = r.content.decode()
    assert r.status_code == 200
    assert 'id="onemap"' in body and "onemap.js" in body and "maplibre-gl.js" in body
    assert f"/api/v1/incidents/{incident.pk}/nearby" in body
    data = json.loads(
        body.split('<script id="onemap-data" type="application/json">')[1].split("</script>")[0]
    )
    assert data["incident"]["has_post"] is False
    assert data["incident"]["id"] == incident.pk and data["incident"]["allowed_actions"] == [
        "cancel",
        "verify",
    ]
    assert "演练" in body
    # Where it is, from the district down (the city left out).
    place = incident.area.place_names()
    assert place[0] == "思明区" and place[-1] == incident.area.name and "厦门市" not in place
    assert '<span class="incident-place">' + " · ".join(place) + "</span>" in body


def test_title_is_escaped(duty_client):
    incident = new_incident(title="<script>alert(1)</script>")
    body = duty_client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in body


def test_new_incident_form(duty_client):
    lon, lat = place(SIMING)
    r = duty_client.post(
        "/incidents/new/",
        {
            "title": "表单上报",
            "category": "natural_disaster",
            "type": "landslide",
            "lon": str(lon),
            "lat": str(lat),
            "crs": "wgs84",
            "reported_via": "patrol",
            "exercise": "1",
            "injuries": "2",
        },
    )
    assert r.status_code == 302
    incident = Incident.objects.get(title="表单上报")
    assert r["Location"] == f"/incidents/{incident.pk}/"
    assert incident.exercise and incident.injuries == 2 and incident.reported_via == "patrol"


@pytest.mark.parametrize(
    "bad",
    [
        {"title": ""},
        {"lon": "abc"},
        {"lat": "999"},
        {"type": "fire"},  # an accident type under natural_disaster
        {"category": "bogus"},
        {"crs": "nonsense"},
        {"deaths": "-1"},
        {"injuries": "1.5"},
        {"severity": "7"},
        {"reported_via": "pigeon"},
    ],
)
def test_new_incident_form_refuses_bad_input(duty_client, bad):
    lon, lat = place(SIMING)
    data = {
        "title": "坏输入",
        "category": "natural_disaster",
        "type": "flood",
        "lon": str(lon),
        "lat": str(lat),
    }
    data.update(bad)
    before = Incident.objects.count()
    r = duty_client.post("/incidents/new/", data)
    assert r.status_code == 422
    assert 'role="alert"' in r.content.decode()
    assert Incident.objects.count() == before


def test_form_outside_jurisdiction_refused():
    lon, lat = place(HULI)
    c = client_for("siming_officer")
    r = c.post(
        "/incidents/new/",
        {"title": "越界", "category": "natural_disaster", "type": "flood", "lon": lon, "lat": lat},
    )
    assert r.status_code == 422 and not Incident.objects.filter(title="越界").exists()


def test_inspector_cannot_report():
    assert client_for("inspector").get("/incidents/new/").status_code == 403
    assert client_for("inspector").get("/incidents/").status_code == 200


def test_team_leader_orders_page(duty):
    from citywatch.resources.models import RescueTeam

    incident = new_incident()
    team = RescueTeam.objects.filter(status="available").first()
    if team is None:
        pytest.skip("the demo has no available team")
    leader = User.objects.get(username="team_leader")
    actions.request_dispatch(incident, team.pk, duty, assigned_to=leader)
    c = client_for("team_leader")
    r = c.get("/m/dispatches/")
    assert r.status_code == 200 and team.name in r.content.decode()
    assert client_for("commander").get("/m/dispatches/").status_code == 200
    assert client_for("team_leader").get("/incidents/").status_code == 403


# --- The event stream -----------------------------------------------------------------------------


def read_events(response, want, chunks=8):
    """Read at most ``chunks`` chunks; the events (parsed) seen until one satisfies ``want``."""
    seen = []
    it = iter(response.streaming_content)
    for _ in range(chunks):
        chunk = next(it).decode()
        for block in chunk.split("\n\n"):
            data = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
            if data:
                seen.append(json.loads("\n".join(data)))
        if any(want(e) for e in seen):
            break
    response.close()
    return seen


@override_settings(CITYWATCH_EVENTS_POLL_SECONDS=0.05, CITYWATCH_EVENTS_MAX_SECONDS=10)
def test_events_stream_sends_new_log_entries(duty_client, duty):
    incident = new_incident()
    r = duty_client.get("/incidents/events")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/event-stream")
    assert r.streaming
    entry = actions.add_note(incident, duty, "连接之后的记录")
    events = read_events(r, lambda e: e["id"] == entry.pk)
    mine = [e for e in events if e["id"] == entry.pk]
    assert mine and mine[0]["type"] == "log" and mine[0]["incident"] == incident.pk
    assert mine[0]["log"]["text"] == "连接之后的记录"


@override_settings(CITYWATCH_EVENTS_POLL_SECONDS=0.05, CITYWATCH_EVENTS_MAX_SECONDS=10)
def test_events_status_and_new_incident(duty_client, duty):
    r = duty_client.get("/incidents/events")
    incident = new_incident(title="新事件")
    actions.transition(incident, "verify", duty)
    events = read_events(r, lambda e: e["type"] == "status")
    types = [e["type"] for e in events if e["incident"] == incident.pk]
    assert types[:2] == ["incident", "status"]
    assert events[0]["summary"]["title"] == "新事件"
    status = [e for e in events if e["type"] == "status"][0]
    assert (
        status["status"] == "verified" and status["version"] == 2 and "respond" in status["allowed_actions"]
    )


@override_settings(CITYWATCH_EVENTS_POLL_SECONDS=0.05, CITYWATCH_EVENTS_MAX_SECONDS=10)
def test_events_respect_jurisdiction(duty):
    c = client_for("siming_officer")
    r = c.get("/incidents/events")
    huli = new_incident(code=HULI)
    actions.add_note(huli, duty, "湖里的记录")
    siming = new_incident(code=SIMING)
    note = actions.add_note(siming, duty, "思明的记录")
    events = read_events(r, lambda e: e["id"] == note.pk)
    assert {e["incident"] for e in events} == {siming.pk}


@override_settings(CITYWATCH_EVENTS_POLL_SECONDS=0.05, CITYWATCH_EVENTS_MAX_SECONDS=10)
def test_events_resume_after_last_event_id(duty_client, duty):
    incident = new_incident()
    first = actions.add_note(incident, duty, "一")
    second = actions.add_note(incident, duty, "二")
    r = duty_client.get("/incidents/events", headers={"Last-Event-ID": str(first.pk)})
    events = read_events(r, lambda e: e["id"] == second.pk)
    assert [e["id"] for e in events] == [second.pk]


@override_settings(CITYWATCH_EVENTS_POLL_SECONDS=0.01, CITYWATCH_EVENTS_MAX_SECONDS=0.2)
def test_events_stream_ends_after_bounded_time(duty_client):
    r = duty_client.get("/incidents/events")
    chunks = list(r.streaming_content)  # ends by itself
    assert chunks[0].startswith(b"retry:")


@override_settings(CITYWATCH_EVENTS_POLL_SECONDS=0.05, CITYWATCH_EVENTS_MAX_SECONDS=10)
def test_team_leader_gets_only_dispatch_events(duty):
    from citywatch.resources.models import RescueTeam

    team = RescueTeam.objects.filter(status="available").first()
    if team is None:
        pytest.skip("the demo has no available team")
    leader = User.objects.get(username="team_leader")
    r = client_for("team_leader").get("/incidents/events")
    incident = new_incident()
    actions.add_note(incident, duty, "指挥部内部记录")
    dispatch = actions.request_dispatch(incident, team.pk, duty, assigned_to=leader)
    events = read_events(r, lambda e: e["type"] == "dispatch")
    assert [e["type"] for e in events] == ["dispatch"]
    assert (
        events[0]["dispatch"]["id"] == dispatch.pk and events[0]["dispatch"]["assigned_to"] == "team_leader"
    )
    assert "log" not in events[0]


@override_settings(CITYWATCH_EVENTS_POLL_SECONDS=0.05, CITYWATCH_EVENTS_MAX_SECONDS=10)
def test_events_stream_under_asgi(duty):
    """Under ASGI (uvicorn in the demo) the view streams from an async generator."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    incident = new_incident()

    async def run():
        client = AsyncClient()
        await client.aforce_login(duty)
        response = await client.get("/incidents/events")
        assert response["Content-Type"].startswith("text/event-stream")
        it = aiter(response.streaming_content)
        hello = await anext(it)
        from asgiref.sync import sync_to_async

        entry = await sync_to_async(actions.add_note)(incident, duty, "异步流")
        for _ in range(10):
            chunk = (await anext(it)).decode()
            if f"id: {entry.pk}\n" in chunk:
                return hello, chunk
        return hello, None

    hello, chunk = async_to_sync(run)()
    assert hello.startswith(b"retry:")
    assert chunk is not None and "异步流" in chunk


def test_duty_page_needs_login():
    r = Client().get("/duty/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_duty_page_is_restricted_to_jurisdiction(db):
    siming = new_incident(title="思明值班事件", code=SIMING)
    huli = new_incident(title="湖里值班事件", code=HULI)
    r = client_for("siming_officer").get("/duty/")
    body = r.content.decode()
    assert r.status_code == 200
    assert "思明值班事件" in body and f"/incidents/{siming.pk}/" in body
    assert "湖里值班事件" not in body and f"/incidents/{huli.pk}/" not in body
    assert 'id="duty-roster"' in body and 'id="duty-handover"' in body and 'id="duty-overdue"' in body
    body = client_for("duty_officer").get("/duty/").content.decode()
    assert "思明值班事件" in body and "湖里值班事件" in body
    assert 'href="/duty/"' in body  # the navigation entry


def test_one_map_has_operations_panel(duty_client):
    incident = new_incident(title="一张图操作")
    body = duty_client.get(f"/incidents/{incident.pk}/").content.decode()
    for marker in ('id="supply-form"', 'id="post-form"', 'id="sitrep-generate"', 'value="duty_officer"'):
        assert marker in body


def test_team_leader_menu_links_to_the_phone_page(team_leader):
    page = team_leader.get("/m/dispatches/").content.decode()
    assert 'href="/m/dispatches/"' in page


def test_one_map_offers_people_not_feed_accounts(duty_client):
    """A data feed account (a machine writing a source's readings, ``feed-<source>``) covering the area is
    never offered as a command post leader, a participant or a task owner, nor accepted as one."""
    from citywatch.core import actions as core_actions
    from citywatch.core.choices import Role
    from citywatch.core.errors import Invalid
    from citywatch.core.models import AdminArea
    from citywatch.incidents import queries

    core_actions.save_user(
        username="feed-qx-rain",
        role=Role.DATA_FEED,
        jurisdiction=AdminArea.objects.get(code="350200"),
        must_change_password=False,
    )
    incident = new_incident(title="只给人选")
    body = duty_client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'value="duty_officer"' in body and "feed-qx-rain" not in body
    assert "feed-qx-rain" not in {u.username for u in queries.people_covering(incident)}
    with pytest.raises(Invalid):
        queries.person("feed-qx-rain", incident)
