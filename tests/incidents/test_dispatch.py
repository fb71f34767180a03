"""Dispatching teams: the team's status follows the order; deployed, unavailable or foreign teams are
refused; team leaders answer their own orders."""

import pytest

from citywatch.core.errors import ActionError, Conflict
from citywatch.incidents import actions
from citywatch.incidents.choices import DispatchStatus
from citywatch.incidents.models import IncidentLog
from citywatch.resources.choices import TeamStatus
from citywatch.resources.models import RescueTeam
from tests.support.builders import new_incident, team_in
from tests.support.places import HULI, SIMING

J = "application/json"


def team_status(team):
    team.refresh_from_db()
    return team.status


@pytest.mark.django_db
def test_team_status_follows_the_dispatch(duty, user):
    incident, team = new_incident(), team_in(SIMING)
    d = actions.request_dispatch(incident, team.pk, duty, assigned_to=user("team_leader"))
    assert d.status == "requested" and team_status(team) == "deployed"
    assert d.eta_s is None or d.eta_s >= 0
    for action, status in (("accept", "accepted"), ("depart", "en_route"), ("arrive", "on_scene")):
        d = actions.dispatch_transition(d, action, duty)
        assert d.status == status and team_status(team) == "deployed"
        assert getattr(d, actions.ORDER_TIMESTAMP[status]) is not None
    d = actions.dispatch_transition(d, "release", duty)
    assert d.status == "released" and d.released_at and team_status(team) == "available"
    kinds = list(
        IncidentLog.objects.filter(incident=incident, kind="dispatch").values_list("data__to", flat=True)
    )
    assert kinds == ["requested", "accepted", "en_route", "on_scene", "released"]


@pytest.mark.django_db
def test_a_team_marked_unavailable_while_deployed_stays_so_when_released(duty):
    incident, team = new_incident(), team_in(SIMING)
    d = actions.dispatch_transition(actions.request_dispatch(incident, team.pk, duty), "accept", duty)
    RescueTeam.objects.filter(pk=team.pk).update(status=TeamStatus.UNAVAILABLE)  # e.g. a vehicle broke down
    actions.dispatch_transition(d, "release", duty)
    assert team_status(team) == "unavailable"


@pytest.mark.django_db
def test_declined_frees_the_team_and_illegal_moves_conflict(duty):
    incident, team = new_incident(), team_in(SIMING)
    d = actions.request_dispatch(incident, team.pk, duty)
    with pytest.raises(Conflict):
        actions.dispatch_transition(d, "arrive", duty)
    d = actions.dispatch_transition(d, "decline", duty)
    assert d.status == "declined" and d.declined_at and team_status(team) == "available"
    for action in actions.ORDER_ACTIONS:
        with pytest.raises(Conflict):
            actions.dispatch_transition(d, action, duty)
    with pytest.raises(ActionError, match="未知操作 'teleport'"):
        actions.dispatch_transition(d, "teleport", duty)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "action"), [(s, a) for s in DispatchStatus.values for a in actions.ORDER_ACTIONS]
)
def test_dispatch_table_exhaustive(state, action, duty):
    from citywatch.incidents.models import Dispatch

    incident, team = new_incident(), team_in(SIMING)
    d = actions.request_dispatch(incident, team.pk, duty)
    Dispatch.objects.filter(pk=d.pk).update(status=state)
    d.refresh_from_db()
    expected = actions.ORDER_TRANSITIONS.get((state, action))
    # Only the order's recipient reports the task complete (test_field_reports.py).
    who = d.assigned_to if action in actions.RECIPIENT_ACTIONS else duty
    if expected is None:
        with pytest.raises(Conflict):
            actions.dispatch_transition(d, action, who)
        d.refresh_from_db()
        assert d.status == state
    else:
        assert actions.dispatch_transition(d, action, who, note="测试").status == expected
        assert team_status(team) == actions.TEAM_STATUS_FOR[expected]


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["deployed", "unavailable"])
def test_busy_team_is_refused(status, duty, siming):
    incident, team = new_incident(), team_in(SIMING, status)
    with pytest.raises(Conflict, match=f"当前为“{TeamStatus(status).label}”，不可调派"):
        actions.request_dispatch(incident, team.pk, duty)
    r = siming.post(f"/api/v1/incidents/{incident.pk}/dispatches", {"team": team.pk}, content_type=J)
    assert r.status_code == 409 and "不可调派" in r.json()["error"]["message"]
    assert team_status(team) == status


@pytest.mark.django_db
def test_errors_speak_the_users_language_the_log_the_sites(siming, settings):
    """An error answers one request, in its language; the log is a shared record, in the site's."""
    incident, team = new_incident(), team_in(SIMING)
    siming.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    base = f"/api/v1/incidents/{incident.pk}/dispatches"
    r = siming.post(base, {"team": team.pk}, content_type=J)
    assert r.status_code == 201, r.content
    entry = IncidentLog.objects.filter(incident=incident, kind="dispatch").get()
    assert entry.text.startswith(f"调派队伍：{team.name}") and entry.data["to"] == "requested"
    r = siming.post(base, {"team": team.pk}, content_type=J)
    assert r.status_code == 409 and r.json()["error"]["message"] == f"{team.name} is Deployed, not available"


@pytest.mark.django_db
def test_team_outside_jurisdiction_is_refused(siming, huli):
    incident, huli_team = new_incident(), team_in(HULI)
    r = siming.post(f"/api/v1/incidents/{incident.pk}/dispatches", {"team": huli_team.pk}, content_type=J)
    assert r.status_code == 404 and "您的管辖范围内没有" in r.json()["error"]["message"]
    assert team_status(huli_team) == "available"
    # Huli cannot dispatch to a Siming incident at all.
    r = huli.post(f"/api/v1/incidents/{incident.pk}/dispatches", {"team": huli_team.pk}, content_type=J)
    assert r.status_code == 404
    r = siming.post(f"/api/v1/incidents/{incident.pk}/dispatches", {"team": 999999}, content_type=J)
    assert r.status_code == 404


@pytest.mark.django_db
def test_closing_needs_every_team_released(duty):
    incident, team = new_incident(), team_in(SIMING)
    for action in ("verify", "respond", "stabilise"):
        actions.transition(incident, action, duty)
    d = actions.request_dispatch(incident, team.pk, duty)
    with pytest.raises(Conflict, match="仍有 1 支队伍处于调派中"):
        actions.transition(incident, "close", duty)
    actions.dispatch_transition(d, "decline", duty)
    actions.transition(incident, "close", duty)
    with pytest.raises(Conflict, match="事件当前为“已结案”状态，不能再调派队伍"):
        actions.request_dispatch(incident, team.pk, duty)


@pytest.mark.django_db
def test_team_leader_answers_only_their_own_orders(siming, team_leader, user):
    incident = new_incident()
    mine, other = team_in(SIMING), RescueTeam.objects.filter(area__path__contains=f"{SIMING}.")[1]
    RescueTeam.objects.filter(pk=other.pk).update(status="available")
    base = f"/api/v1/incidents/{incident.pk}/dispatches"
    r = siming.post(base, {"team": mine.pk, "assigned_to": "team_leader"}, content_type=J)
    assert r.status_code == 201, r.content
    d_mine = r.json()["id"]
    assert r.json()["team"]["status"] == "deployed" and r.json()["assigned_to"] == "team_leader"
    d_other = siming.post(base, {"team": other.pk}, content_type=J).json()["id"]
    # Team leaders see the dispatches (not the incident record) …
    assert team_leader.get(f"/api/v1/incidents/{incident.pk}").status_code == 404
    assert {d["id"] for d in team_leader.get(base).json()} == {d_mine, d_other}

    # … and move only their own, and only the leader's steps.
    def move(did, action):
        return team_leader.post(f"{base}/{did}/transitions", {"action": action}, content_type=J)

    assert move(d_other, "accept").status_code == 403
    assert move(d_mine, "accept").json()["status"] == "accepted"
    assert move(d_mine, "depart").json()["status"] == "en_route"
    assert move(d_mine, "arrive").json()["status"] == "on_scene"
    assert move(d_mine, "release").status_code == 403
    r = siming.post(f"{base}/{d_mine}/transitions", {"action": "release"}, content_type=J)
    assert r.status_code == 200 and r.json()["team"]["status"] == "available"
    assert (
        siming.post(f"{base}/{d_mine}/transitions", {"action": "release"}, content_type=J).status_code == 409
    )
    assert team_leader.post(base, {"team": mine.pk}, content_type=J).status_code in (403, 404)
