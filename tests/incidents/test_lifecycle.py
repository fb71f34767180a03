"""The incident lifecycle: every (state, action) pair, versions, timestamps, the reporting clock."""

import datetime
import itertools
import re

import pytest
from django.utils import timezone

from citywatch.core.errors import ActionError, Conflict
from citywatch.incidents import actions, queries
from citywatch.incidents.choices import IncidentStatus
from citywatch.incidents.models import Incident, IncidentLog
from tests.support.builders import new_incident
from tests.support.places import HULI

STATES = IncidentStatus.values
PAIRS = list(itertools.product(STATES, actions.ACTIONS))

EXPECTED = {
    ("reported", "verify"): "verified",
    ("verified", "respond"): "responding",
    ("responding", "stabilise"): "stabilised",
    ("stabilised", "close"): "closed",
    ("reported", "cancel"): "cancelled",
    ("verified", "cancel"): "cancelled",
    ("closed", "reopen"): "responding",
    ("cancelled", "reopen"): "responding",
}


def test_table_is_the_documented_one():
    assert actions.TRANSITIONS == EXPECTED
    assert set(actions.ACTIONS) == {"verify", "respond", "stabilise", "close", "cancel", "reopen"}


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "action"), PAIRS)
def test_every_state_and_action(state, action, duty):
    incident = new_incident()
    Incident.objects.filter(pk=incident.pk).update(status=state)
    incident.refresh_from_db()
    logs = IncidentLog.objects.filter(incident=incident).count()
    expected = EXPECTED.get((state, action))
    if expected is None:
        shown = re.escape(str(IncidentStatus(state).label))
        with pytest.raises(Conflict, match=f"事件当前为“{shown}”状态，不能执行 {action} 操作"):
            actions.transition(incident, action, duty, reason="because")
        incident.refresh_from_db()
        assert incident.status == state and incident.version == 1
        assert IncidentLog.objects.filter(incident=incident).count() == logs
        return
    before = timezone.now()
    actions.transition(incident, action, duty, reason="because")
    incident.refresh_from_db()
    assert incident.status == expected and incident.version == 2
    stamp = getattr(incident, actions.STATE_TIMESTAMP[expected])
    assert stamp is not None and stamp >= before
    entry = IncidentLog.objects.filter(incident=incident).last()
    assert entry.kind == "status" and entry.author == duty
    assert entry.data == {"action": action, "from": state, "to": expected, "reason": "because", "version": 2}
    old, new = IncidentStatus(state).label, IncidentStatus(expected).label
    assert entry.text == f"事件状态：{old} → {new}：because"
    if action == "reopen":
        assert incident.closed_at is None and incident.cancelled_at is None


@pytest.mark.django_db
def test_full_path_sets_every_timestamp(duty):
    incident = new_incident()
    for action in ("verify", "respond", "stabilise", "close"):
        incident = actions.transition(incident, action, duty)
    assert all(getattr(incident, f) for f in ("verified_at", "responding_at", "stabilised_at", "closed_at"))
    assert incident.reported_at <= incident.verified_at <= incident.responding_at <= incident.closed_at
    assert incident.version == 5


@pytest.mark.django_db
def test_reopen_needs_a_reason_and_unknown_action_is_invalid(duty):
    incident = new_incident()
    actions.transition(incident, "cancel", duty)
    with pytest.raises(ActionError, match="执行 reopen 操作需要填写原因"):
        actions.transition(incident, "reopen", duty, reason="  ")
    with pytest.raises(ActionError, match="未知操作 'explode'"):
        actions.transition(incident, "explode", duty)
    incident.refresh_from_db()
    assert incident.status == "cancelled"


@pytest.mark.django_db
def test_stale_version_is_a_conflict(duty):
    incident = new_incident()
    actions.transition(incident, "verify", duty, expected_version=1)
    with pytest.raises(Conflict, match=r"事件已被他人修改（当前版本 2，您提交的是版本 1）"):
        actions.transition(incident, "respond", duty, expected_version=1)
    actions.transition(incident, "respond", duty, expected_version=2)
    incident.refresh_from_db()
    assert incident.status == "responding" and incident.version == 3


@pytest.mark.django_db
def test_reporting_clock_and_overdue(duty, user, settings):
    settings.CITYWATCH_FIRST_REPORT_MINUTES = 30
    settings.CITYWATCH_WRITTEN_REPORT_MINUTES = 60
    incident = new_incident()
    unverified = new_incident()
    actions.transition(incident, "verify", duty)
    incident.refresh_from_db()
    t0 = incident.verified_at
    overdue = lambda now, who=duty: [(r.incident.pk, r.report) for r in queries.overdue_reports(who, now)]  # noqa: E731
    assert overdue(t0 + datetime.timedelta(minutes=29)) == []
    assert overdue(t0 + datetime.timedelta(minutes=31)) == [(incident.pk, "first")]
    assert overdue(t0 + datetime.timedelta(minutes=61)) == [(incident.pk, "first"), (incident.pk, "written")]
    # Huli's officer does not see a Siming incident's deadlines.
    assert overdue(t0 + datetime.timedelta(minutes=61), user("huli_officer")) == []
    assert overdue(t0 + datetime.timedelta(minutes=61), user("siming_officer")) != []
    with pytest.raises(Conflict, match="请先登记首报，再登记书面报告"):
        actions.record_report(incident, "written", duty)
    actions.record_report(incident, "first", duty)
    with pytest.raises(Conflict, match="首报已登记过"):
        actions.record_report(incident, "first", duty)
    assert overdue(t0 + datetime.timedelta(minutes=61)) == [(incident.pk, "written")]
    actions.record_report(incident, "written", duty)
    assert overdue(t0 + datetime.timedelta(days=3)) == []
    with pytest.raises(Conflict, match="只有已核实的事件才向上级报告"):
        actions.record_report(unverified, "first", duty)
    settings.CITYWATCH_FIRST_REPORT_MINUTES = 5
    other = new_incident(code=HULI)
    actions.transition(other, "verify", duty)
    other.refresh_from_db()
    assert overdue(other.verified_at + datetime.timedelta(minutes=6)) == [(other.pk, "first")]
