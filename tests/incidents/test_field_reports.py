"""Field reports (现场报告) and task complete (任务完成): the dispatch order's recipient reports from the
scene and says the task is done; the reports land in the incident's log, the order's history, the live
stream and the outbox; the team stays deployed until the command releases it."""

import pytest

from citywatch.core.errors import Conflict, Forbidden, Invalid
from citywatch.incidents import actions, events
from citywatch.incidents.models import Dispatch, IncidentLog
from citywatch.notify.models import Message
from tests.support.builders import new_incident, team_in
from tests.support.personas import client_for
from tests.support.places import SIMING

J = "application/json"


def on_scene(duty, leader, steps=("accept", "depart", "arrive")):
    incident, team = new_incident(), team_in(SIMING)
    d = actions.request_dispatch(incident, team.pk, duty, assigned_to=leader)
    for step in steps:
        d = actions.dispatch_transition(d, step, leader)
    return d


def team_status(d):
    d.team.refresh_from_db()
    return d.team.status


def url(d, tail):
    return f"/api/v1/incidents/{d.incident_id}/dispatches/{d.pk}/{tail}"


@pytest.mark.django_db
def test_the_leader_reports_from_the_scene_into_the_log_outbox_and_history(duty, user):
    leader = user("team_leader")
    d = on_scene(duty, leader)
    entry = actions.dispatch_field_report(d, leader, "  二楼仍有两人被困  ", rescued=3, evacuated=12)
    assert entry.kind == "dispatch" and entry.author == leader
    assert entry.data["action"] == "field_report" and entry.data["to"] == "on_scene"
    assert entry.data["report"] == "二楼仍有两人被困"
    assert (entry.data["rescued"], entry.data["evacuated"]) == (3, 12)
    assert d.team.name in entry.text and "二楼仍有两人被困" in entry.text and "12" in entry.text
    message = Message.objects.get(kind="dispatch.field_report", object_id=str(d.pk))
    assert message.body == "二楼仍有两人被困" and message.payload["rescued"] == 3
    # The team stays deployed; the order does not move.
    d.refresh_from_db()
    assert d.status == "on_scene" and team_status(d) == "deployed"
    # The officer's live stream carries it as a dispatch event with the log entry.
    _cursor, evs = events.poll(duty, entry.pk - 1)
    (ev,) = [e for e in evs if e["id"] == entry.pk]
    assert ev["type"] == "dispatch" and ev["dispatch"]["id"] == d.pk
    assert ev["log"]["data"]["report"] == "二楼仍有两人被困"


@pytest.mark.django_db
def test_counts_are_optional(duty, user):
    leader = user("team_leader")
    d = on_scene(duty, leader)
    entry = actions.dispatch_field_report(d, leader, "道路积水，绕行")
    assert entry.data["rescued"] is None and entry.data["evacuated"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "rescued", "evacuated"),
    [("", None, None), ("   ", None, None), ("x" * 501, None, None), ("ok", -1, None), ("ok", None, 10**6)],
)
def test_bad_reports_are_invalid_and_change_nothing(duty, user, text, rescued, evacuated):
    leader = user("team_leader")
    d = on_scene(duty, leader)
    before = IncidentLog.objects.count()
    with pytest.raises(Invalid):
        actions.dispatch_field_report(d, leader, text, rescued, evacuated)
    assert IncidentLog.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "steps", [(), ("accept",), ("accept", "depart"), ("accept", "depart", "arrive", "release")]
)
def test_reports_only_once_on_scene(duty, user, steps):
    leader = user("team_leader")
    d = on_scene(duty, leader, steps=())
    for step in steps:
        d = actions.dispatch_transition(d, step, duty if step == "release" else leader)
    with pytest.raises(Conflict):
        actions.dispatch_field_report(d, leader, "到场")


@pytest.mark.django_db
def test_only_the_recipient_reports_or_completes(duty, user):
    leader = user("team_leader")
    d = on_scene(duty, leader)
    with pytest.raises(Forbidden):
        actions.dispatch_field_report(d, duty, "指挥部代报")
    with pytest.raises(Forbidden):
        actions.dispatch_transition(d, "complete", duty, note="指挥部代报完成")
    d.refresh_from_db()
    assert d.status == "on_scene"


@pytest.mark.django_db
def test_complete_needs_a_note_keeps_the_team_until_the_command_releases(duty, user):
    leader = user("team_leader")
    d = on_scene(duty, leader)
    with pytest.raises(Invalid):
        actions.dispatch_transition(d, "complete", leader, note="  ")
    d.refresh_from_db()
    assert d.status == "on_scene"
    d = actions.dispatch_transition(d, "complete", leader, note="被困人员全部救出")
    assert d.status == "completed" and d.completed_at and d.completion_note == "被困人员全部救出"
    assert team_status(d) == "deployed"
    message = Message.objects.get(kind="dispatch.completed", object_id=str(d.pk))
    assert message.body == "被困人员全部救出"
    # Still reporting after completion (e.g. the last count), but the leader cannot release.
    actions.dispatch_field_report(d, leader, "现场已移交", evacuated=30)
    with pytest.raises(Forbidden):
        actions.dispatch_transition(d, "release", leader)
    # The incident cannot close while the completed order holds the team.
    assert Dispatch.objects.filter(pk=d.pk, status__in=actions.ACTIVE_ORDER).exists()
    d = actions.dispatch_transition(d, "release", duty)
    assert d.status == "released" and team_status(d) == "available"


# --- The API ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_report_complete_history_and_release(duty, user, duty_client):
    leader = user("team_leader")
    d = on_scene(duty, leader)
    phone = client_for("team_leader")
    body = {"text": "已疏散12人", "rescued": 2, "evacuated": 12}
    r = phone.post(url(d, "reports"), body, content_type=J)
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["action"] == "field_report" and out["report"] == "已疏散12人" and out["evacuated"] == 12
    assert out["author"] == "team_leader" and out["status"] == "on_scene"
    r = phone.post(url(d, "transitions"), {"action": "complete", "note": "任务完成"}, content_type=J)
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "completed" and r.json()["completion_note"] == "任务完成"
    assert r.json()["allowed_actions"] == ["release"]
    for client in (phone, duty_client):
        r = client.get(url(d, "history"))
        assert r.status_code == 200, r.content
        steps = [h["action"] for h in r.json()]
        assert steps == ["requested", "accept", "depart", "arrive", "field_report", "complete"]
    r = phone.post(url(d, "transitions"), {"action": "release"}, content_type=J)
    assert r.status_code == 403
    r = duty_client.post(url(d, "transitions"), {"action": "release"}, content_type=J)
    assert r.status_code == 200 and r.json()["status"] == "released"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": ""},
        {"text": "x" * 501},
        {"text": "ok", "rescued": -1},
        {"text": "ok", "evacuated": 1.5},
        {"text": "ok", "rescued": "many"},
        {"text": "ok", "evacuated": 100001},
    ],
)
def test_api_bad_report_is_422_and_changes_nothing(duty, user, body):
    leader = user("team_leader")
    d = on_scene(duty, leader)
    before = IncidentLog.objects.count()
    r = client_for("team_leader").post(url(d, "reports"), body, content_type=J)
    assert r.status_code == 422, r.content
    assert IncidentLog.objects.count() == before


@pytest.mark.django_db
def test_api_refusals(duty, user, duty_client):
    leader = user("team_leader")
    d = on_scene(duty, leader, steps=("accept",))
    phone = client_for("team_leader")
    # Not on scene yet: 409, and no complete from accepted.
    assert phone.post(url(d, "reports"), {"text": "到场"}, content_type=J).status_code == 409
    r = phone.post(url(d, "transitions"), {"action": "complete", "note": "完成"}, content_type=J)
    assert r.status_code == 409
    for step in ("depart", "arrive"):
        d = actions.dispatch_transition(d, step, leader)
    # The officer is not the recipient: 403; the complete without a note: 422.
    assert duty_client.post(url(d, "reports"), {"text": "代报"}, content_type=J).status_code == 403
    r = duty_client.post(url(d, "transitions"), {"action": "complete", "note": "代报"}, content_type=J)
    assert r.status_code == 403
    assert phone.post(url(d, "transitions"), {"action": "complete"}, content_type=J).status_code == 422
    # An order of another incident under this incident's number: 404.
    other = on_scene(duty, None, steps=())
    wrong = f"/api/v1/incidents/{other.incident_id}/dispatches/{d.pk}/reports"
    assert phone.post(wrong, {"text": "x"}, content_type=J).status_code == 404
    d.refresh_from_db()
    assert d.status == "on_scene"
