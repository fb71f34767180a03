"""Issue 11, item 1: every dispatch order reaches someone (the team's leader on record unless another is
named; a team without one needs someone named), an order nobody answers in time shows as unanswered, and a
requested order can be recalled with a reason — logged, the team freed, an outbox event for the
recipient's phone."""

import datetime

import pytest
from django.utils import timezone

from citywatch.core.models import User
from citywatch.incidents import actions
from citywatch.incidents.models import Dispatch, IncidentLog
from citywatch.notify.models import Message
from citywatch.resources.models import RescueTeam
from tests.support.builders import new_incident, team_in
from tests.support.places import SIMING

J = "application/json"


def dispatch_url(incident):
    return f"/api/v1/incidents/{incident.pk}/dispatches"


@pytest.mark.django_db
def test_an_order_goes_to_the_teams_leader_on_record(duty_client):
    incident, team = new_incident(), team_in(SIMING)
    r = duty_client.post(dispatch_url(incident), {"team": team.pk}, content_type=J)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["assigned_to"] == team.leader.username
    assert body["assigned_to_name"] == team.leader.display_name
    assert body["number"] == f"DP{body['id']:06d}"
    message = Message.objects.get(kind="dispatch.requested", object_id=str(body["id"]))
    assert message.payload["assigned_to"] == team.leader.username and body["number"] in message.subject


@pytest.mark.django_db
def test_a_team_without_a_leader_needs_someone_named(duty_client):
    incident, team = new_incident(), team_in(SIMING)
    RescueTeam.objects.filter(pk=team.pk).update(leader=None)
    r = duty_client.post(dispatch_url(incident), {"team": team.pk}, content_type=J)
    assert r.status_code == 422, r.content
    assert team.name in r.json()["error"]["message"]
    team.refresh_from_db()
    assert team.status == "available" and not Dispatch.objects.filter(team=team).exists()
    named = {"team": team.pk, "assigned_to": "team_leader"}
    r = duty_client.post(dispatch_url(incident), named, content_type=J)
    assert r.status_code == 201 and r.json()["assigned_to"] == "team_leader"


@pytest.mark.django_db
def test_a_leader_who_cannot_see_the_incident_is_not_the_default(duty_client):
    from citywatch.core.models import AdminArea

    incident, team = new_incident(), team_in(SIMING)
    leader = team.leader
    User.objects.filter(pk=leader.pk).update(jurisdiction=AdminArea.objects.get(code="350206"))
    r = duty_client.post(dispatch_url(incident), {"team": team.pk}, content_type=J)
    assert r.status_code == 422, r.content
    assert "湖里区" in r.json()["error"]["message"] or leader.display_name in r.json()["error"]["message"]


@pytest.mark.django_db
def test_the_registry_flags_a_team_without_a_leader(duty_client):
    team = team_in(SIMING)
    RescueTeam.objects.filter(pk=team.pk).update(leader=None)
    body = duty_client.get(f"/api/v1/resources/rescue-teams/{team.pk}").json()
    assert body["leader"] == "" and body["leader_name"] is None
    page = duty_client.get(f"/resources/rescue-teams/{team.pk}/").content.decode()
    assert "未登记" in page
    led = team_in(SIMING, skip=1)
    shown = duty_client.get(f"/api/v1/resources/rescue-teams/{led.pk}").json()["leader_name"]
    assert shown == led.leader.display_name


@pytest.mark.django_db
def test_recall_with_a_reason_frees_the_team_logs_and_tells_the_recipient(duty, duty_client):
    incident, team = new_incident(), team_in(SIMING)
    d = actions.request_dispatch(incident, team.pk, duty)
    url = f"{dispatch_url(incident)}/{d.pk}/transitions"
    r = duty_client.post(url, {"action": "recall"}, content_type=J)
    assert r.status_code == 422, r.content
    assert Dispatch.objects.get(pk=d.pk).status == "requested"
    r = duty_client.post(url, {"action": "recall", "note": "已由就近队伍处置"}, content_type=J)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "recalled" and body["recalled_at"]
    assert body["recall_reason"] == "已由就近队伍处置"
    assert body["allowed_actions"] == []
    team.refresh_from_db()
    assert team.status == "available"
    entry = IncidentLog.objects.filter(incident=incident, kind="dispatch").latest("id")
    assert entry.data["to"] == "recalled" and "已由就近队伍处置" in entry.text
    message = Message.objects.get(kind="dispatch.recalled", object_id=str(d.pk))
    assert message.payload["assigned_to"] == team.leader.username
    assert message.body == "已由就近队伍处置" and d.number in message.subject
    # The team can be dispatched again at once.
    again = duty_client.post(dispatch_url(new_incident()), {"team": team.pk}, content_type=J)
    assert again.status_code == 201


@pytest.mark.django_db
def test_only_a_requested_order_is_recalled_and_only_by_the_command(duty, user):
    incident, team = new_incident(), team_in(SIMING)
    RescueTeam.objects.filter(pk=team.pk).update(leader=user("team_leader"))
    d = actions.request_dispatch(incident, team.pk, duty)
    from tests.support.personas import client_for

    leader = client_for("team_leader")
    url = f"{dispatch_url(incident)}/{d.pk}/transitions"
    assert leader.post(url, {"action": "recall", "note": "x"}, content_type=J).status_code == 403
    actions.dispatch_transition(d, "accept", user("team_leader"))
    r = client_for("duty_officer").post(url, {"action": "recall", "note": "x"}, content_type=J)
    assert r.status_code == 409, r.content


@pytest.mark.django_db
def test_an_order_not_answered_in_time_shows_as_unanswered(duty, duty_client, settings):
    settings.CITYWATCH_ORDER_ANSWER_MINUTES = 5
    incident = new_incident()
    late, fresh = team_in(SIMING), team_in(SIMING, skip=1)
    d_late = actions.request_dispatch(incident, late.pk, duty)
    d_fresh = actions.request_dispatch(incident, fresh.pk, duty)
    Dispatch.objects.filter(pk=d_late.pk).update(requested_at=timezone.now() - datetime.timedelta(minutes=6))
    rows = {d["id"]: d for d in duty_client.get(dispatch_url(incident)).json()}
    assert rows[d_late.pk]["unanswered"] is True and rows[d_fresh.pk]["unanswered"] is False
    assert rows[d_fresh.pk]["answer_due_at"]
    page = duty_client.get("/duty/").content.decode()
    assert f'data-dispatch="{d_late.pk}"' in page and f'data-dispatch="{d_fresh.pk}"' not in page
    # Answered: no longer unanswered.
    actions.dispatch_transition(Dispatch.objects.get(pk=d_late.pk), "accept", duty)
    rows = {d["id"]: d for d in duty_client.get(dispatch_url(incident)).json()}
    assert rows[d_late.pk]["unanswered"] is False
    assert f'data-dispatch="{d_late.pk}"' not in duty_client.get("/duty/").content.decode()
