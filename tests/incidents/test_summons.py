"""Summoning experts, the dispatch design applied to experts: the transition table, the expert's
availability following the summons, busy/unavailable experts refused (409), experts outside the
summoner's jurisdiction not found (404), a log entry per step and change-log rows."""

import pytest

from citywatch.core.errors import ActionError, Conflict, NotFound
from citywatch.core.models import ObjectChange
from citywatch.incidents import actions
from citywatch.incidents.choices import DispatchStatus
from citywatch.incidents.models import ExpertSummons, IncidentLog
from citywatch.resources.choices import Availability
from citywatch.resources.models import Expert
from tests.support.builders import new_incident
from tests.support.places import HULI, SIMING

J = "application/json"


def expert_in(code, availability="available", nth=0):
    """An expert of district ``code``'s pool; ``code=None``: one registered at the city level."""
    qs = Expert.objects.order_by("pk")
    qs = qs.filter(area__level="city") if code is None else qs.filter(area__path__contains=f"{code}.")
    expert = qs[nth]
    Expert.objects.filter(pk=expert.pk).update(availability=availability)
    expert.refresh_from_db()
    return expert


def availability(expert):
    expert.refresh_from_db()
    return expert.availability


def summons_log(incident):
    return list(
        IncidentLog.objects.filter(incident=incident, kind="dispatch", data__summons__isnull=False)
        .order_by("id")
        .values_list("data__to", flat=True)
    )


@pytest.mark.django_db
def test_availability_follows_the_summons_and_every_step_is_logged(duty):
    incident, expert = new_incident(), expert_in(SIMING)
    s = actions.summon_expert(incident, expert.pk, duty, note="structural check")
    assert s.status == "requested" and s.requested_at and availability(expert) == "busy"
    assert s.eta_s is None or s.eta_s >= 0
    if expert.location is None:
        assert s.eta_s is None
    for action, status in (("accept", "accepted"), ("depart", "en_route"), ("arrive", "on_scene")):
        s = actions.summons_transition(s, action, duty)
        assert s.status == status and availability(expert) == "busy"
        assert getattr(s, actions.ORDER_TIMESTAMP[status]) is not None
    s = actions.summons_transition(s, "release", duty, note="done")
    assert s.status == "released" and s.released_at and availability(expert) == "available"
    assert summons_log(incident) == ["requested", "accepted", "en_route", "on_scene", "released"]
    last = IncidentLog.objects.filter(incident=incident).order_by("id").last()
    assert last.text == f"专家{expert.name}：已到达现场 → 已解除：done" and last.author == duty
    assert last.data["expert"] == expert.pk and last.data["action"] == "release"


@pytest.mark.django_db
def test_declined_frees_the_expert_and_illegal_moves_conflict(duty):
    incident, expert = new_incident(), expert_in(SIMING)
    s = actions.summon_expert(incident, expert.pk, duty)
    with pytest.raises(Conflict):
        actions.summons_transition(s, "arrive", duty)
    s = actions.summons_transition(s, "decline", duty)
    assert s.status == "declined" and s.declined_at and availability(expert) == "available"
    for action in actions.ORDER_ACTIONS:
        with pytest.raises(Conflict):
            actions.summons_transition(s, action, duty)
    with pytest.raises(ActionError, match="未知操作 'teleport'"):
        actions.summons_transition(s, "teleport", duty)
    assert summons_log(incident) == ["requested", "declined"]


def test_the_table_is_the_dispatch_table():
    assert actions.SUMMONS.lifecycle.table is actions.DISPATCH.lifecycle.table is actions.ORDER_TRANSITIONS
    assert set(actions.AVAILABILITY_FOR) == set(DispatchStatus.values)
    assert {s for (s, _) in actions.ORDER_TRANSITIONS} == actions.ACTIVE_ORDER


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "action"), [(s, a) for s in DispatchStatus.values for a in actions.ORDER_ACTIONS]
)
def test_summons_table_exhaustive(state, action, duty):
    incident, expert = new_incident(), expert_in(SIMING)
    s = actions.summon_expert(incident, expert.pk, duty)
    ExpertSummons.objects.filter(pk=s.pk).update(status=state)
    s.refresh_from_db()
    before = IncidentLog.objects.filter(incident=incident).count()
    expected = actions.ORDER_TRANSITIONS.get((state, action))
    if expected is None:
        with pytest.raises(Conflict):
            actions.summons_transition(s, action, duty)
        s.refresh_from_db()
        assert s.status == state and availability(expert) == "busy"
        assert IncidentLog.objects.filter(incident=incident).count() == before
    else:
        assert actions.summons_transition(s, action, duty, note="测试").status == expected
        assert availability(expert) == actions.AVAILABILITY_FOR[expected]
        assert IncidentLog.objects.filter(incident=incident).count() == before + 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["busy", "unavailable"])
def test_busy_expert_is_refused(status, duty, siming):
    incident, expert = new_incident(), expert_in(SIMING, status)
    with pytest.raises(Conflict, match=f"当前为“{Availability(status).label}”，不可调派"):
        actions.summon_expert(incident, expert.pk, duty)
    r = siming.post(f"/api/v1/incidents/{incident.pk}/summons", {"expert": expert.pk}, content_type=J)
    assert r.status_code == 409 and "不可调派" in r.json()["error"]["message"]
    assert availability(expert) == status
    assert not ExpertSummons.objects.filter(incident=incident).exists()


@pytest.mark.django_db
def test_an_expert_summoned_twice_is_busy(siming):
    incident, expert = new_incident(), expert_in(SIMING)
    base = f"/api/v1/incidents/{incident.pk}/summons"
    assert siming.post(base, {"expert": expert.pk}, content_type=J).status_code == 201
    r = siming.post(base, {"expert": expert.pk}, content_type=J)
    assert r.status_code == 409 and "当前为“忙碌”" in r.json()["error"]["message"]


@pytest.mark.django_db
def test_expert_outside_jurisdiction_is_not_found(siming, huli, duty, user):
    incident = new_incident()
    huli_expert, city_expert = expert_in(HULI), expert_in(None)
    base = f"/api/v1/incidents/{incident.pk}/summons"
    r = siming.post(base, {"expert": huli_expert.pk}, content_type=J)
    assert r.status_code == 404 and "您的管辖范围内没有" in r.json()["error"]["message"]
    # Experts at the city level (the city pool and those shared from neighbouring cities) are beyond a
    # district officer …
    assert siming.post(base, {"expert": city_expert.pk}, content_type=J).status_code == 404
    with pytest.raises(NotFound):
        actions.summon_expert(incident, city_expert.pk, user("siming_officer"))
    assert availability(huli_expert) == availability(city_expert) == "available"
    # … and Huli cannot reach a Siming incident at all.
    assert huli.post(base, {"expert": huli_expert.pk}, content_type=J).status_code == 404
    assert huli.get(base).status_code == 404
    assert siming.post(base, {"expert": 999999}, content_type=J).status_code == 404
    # City-level users summon the city's experts, shared ones included.
    shared = Expert.objects.exclude(home_city="local").order_by("pk").first()
    assert actions.summon_expert(incident, shared.pk, duty).expert_id == shared.pk
    assert availability(shared) == "busy"


@pytest.mark.django_db
def test_summons_api_shapes_and_moves(siming, huli, inspector, team_leader):
    incident, expert = new_incident(), expert_in(SIMING)
    base = f"/api/v1/incidents/{incident.pk}/summons"
    r = siming.post(base, {"expert": expert.pk, "note": "bridge"}, content_type=J)
    assert r.status_code == 201, r.content
    body = r.json()
    sid = body["id"]
    assert body["status"] == "requested" and body["expert"]["id"] == expert.pk
    assert body["expert"]["availability"] == "busy" and body["note"] == "bridge"
    assert body["requested_by"] == "siming_officer"
    assert body["allowed_actions"] == ["accept", "decline", "recall"]
    assert set(actions.ORDER_TIMESTAMP.values()) <= set(body)
    assert [s["id"] for s in siming.get(base).json()] == [sid]
    assert [s["id"] for s in inspector.get(base).json()] == [sid]

    def move(client, action):
        return client.post(f"{base}/{sid}/transitions", {"action": action}, content_type=J)

    assert move(inspector, "accept").status_code == 403
    assert move(huli, "accept").status_code == 404
    assert move(team_leader, "accept").status_code in (403, 404)
    assert move(siming, "arrive").status_code == 409
    assert move(siming, "teleport").status_code == 422
    for action, status in (("accept", "accepted"), ("depart", "en_route"), ("arrive", "on_scene")):
        r = move(siming, action)
        assert r.status_code == 200 and r.json()["status"] == status
        assert r.json()["expert"]["availability"] == "busy"
    r = move(siming, "release")
    assert r.status_code == 200 and r.json()["expert"]["availability"] == "available"
    assert r.json()["released_at"] and r.json()["allowed_actions"] == []
    assert move(siming, "release").status_code == 409
    assert inspector.post(base, {"expert": expert.pk}, content_type=J).status_code == 403
    assert siming.post(f"{base}/999999/transitions", {"action": "accept"}, content_type=J).status_code == 404


@pytest.mark.django_db
def test_change_log_rows(siming):
    incident, expert = new_incident(), expert_in(SIMING)
    base = f"/api/v1/incidents/{incident.pk}/summons"
    sid = siming.post(base, {"expert": expert.pk}, content_type=J).json()["id"]
    siming.post(f"{base}/{sid}/transitions", {"action": "decline"}, content_type=J)
    rows = ObjectChange.objects.filter(content_type__model="expertsummons", object_id=str(sid)).order_by("id")
    assert [c.action for c in rows] == ["create", "update"]
    assert rows[0].user_name == "siming_officer" and rows[1].after["status"] == "declined"
    expert_rows = ObjectChange.objects.filter(
        content_type__model="expert", object_id=str(expert.pk)
    ).order_by("id")
    # The demo load wrote the expert's earlier rows; the summons adds the last two.
    assert [c.after["availability"] for c in expert_rows][-2:] == ["busy", "available"]
    assert expert_rows.last().user_name == "siming_officer"


@pytest.mark.django_db
def test_closed_incident_takes_no_summons(duty):
    incident, expert = new_incident(), expert_in(SIMING)
    actions.transition(incident, "cancel", duty)
    with pytest.raises(Conflict, match=r"事件当前为“已撤销（误报）”状态，不能再调用专家"):
        actions.summon_expert(incident, expert.pk, duty)
    assert availability(expert) == "available"


@pytest.mark.django_db
def test_incident_cannot_be_cancelled_while_an_expert_is_summoned(duty):
    """Closing or cancelling waits until every summoned expert is released, as for teams."""
    incident, expert = new_incident(), expert_in(SIMING)
    s = actions.summon_expert(incident, expert.pk, duty)
    incident.refresh_from_db()
    with pytest.raises(Conflict, match="仍有 1 名专家处于调用中"):
        actions.transition(incident, "cancel", duty)
    actions.summons_transition(s, "decline", duty)
    incident.refresh_from_db()
    actions.transition(incident, "cancel", duty)
    incident.refresh_from_db()
    assert incident.status == "cancelled"
