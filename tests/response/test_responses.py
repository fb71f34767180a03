"""Starting, changing and ending responses: checklist instantiated from the plan revision, an outbox row
in the same transaction, the refusals (role, level, jurisdiction, already running) writing nothing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from citywatch.core.errors import Conflict, Forbidden, Invalid
from citywatch.core.models import AdminArea, ObjectChange
from citywatch.notify.models import Message
from citywatch.response import actions
from citywatch.response.choices import ActionStatus, EventKind, ResponseStatus
from citywatch.response.models import ChecklistAction, Plan, Response, ResponseEvent
from tests.support.places import CITY, HULI, SIMING

pytestmark = pytest.mark.django_db


def plan(hazard="typhoon"):
    return Plan.objects.select_related("area", "current").get(hazard=hazard, area__code=CITY)


def counts():
    return (Response.objects.count(), ChecklistAction.objects.count(), Message.objects.count())


def test_start_instantiates_the_levels_checklist_with_owners_and_deadlines(user):
    now = timezone.now().replace(microsecond=0)
    response = actions.start(user("commander"), plan(), "3", reason="台风黄色预警", now=now)
    assert response.status == ResponseStatus.ACTIVE and response.level == "3"
    items = list(response.actions.order_by("position"))
    expected = list(
        plan().current.levels.get(level="3").actions.order_by("position").values_list("title", "minutes")
    )
    assert [(a.title, a.minutes) for a in items] == expected
    assert all(a.deadline == now + datetime.timedelta(minutes=a.minutes) for a in items)
    assert all(a.organisation_id is not None for a in items)  # the demo registers every department
    message = Message.objects.filter(kind="response.started").latest("id")
    assert message.payload["response"] == response.pk
    assert (message.hazard, message.level, message.public, message.exercise) == (
        "typhoon",
        "yellow",
        True,
        False,
    )
    assert ResponseEvent.objects.filter(response=response, kind=EventKind.STARTED).count() == 1
    assert ObjectChange.objects.filter(object_id=str(response.pk), content_type__model="response").exists()


def test_a_running_response_keeps_its_plan_revision(user):
    p = plan()
    response = actions.start(user("commander"), p, "4")
    spec = actions.spec_of(p)
    spec.levels[0].actions[0].minutes = 999
    p, outcome = actions.save_plan(user("city_admin"), spec, "修订")
    assert outcome == "updated" and p.current_id != response.revision_id
    actions.change_level(user("commander"), response, "3", "升级")
    response.refresh_from_db()
    assert response.revision_id != p.current_id
    assert not response.actions.filter(minutes=999).exists()
    # Saving the same content again writes no revision.
    assert actions.save_plan(user("city_admin"), actions.spec_of(p))[1] == "unchanged"


@pytest.mark.parametrize(
    ("username", "level", "code", "error"),
    [
        ("duty_officer", "3", CITY, Forbidden),  # not a commander's role
        ("commander", "9", CITY, Invalid),  # no such level
        ("siming_officer", "3", SIMING, Forbidden),  # a district officer may not start responses
    ],
)
def test_refusals_write_nothing(user, username, level, code, error):
    before = counts()
    with pytest.raises(error):
        actions.start(user(username), plan(), level, AdminArea.objects.get(code=code))
    assert counts() == before


def test_a_level_the_plan_does_not_have(user):
    p = plan()
    spec = actions.spec_of(p)
    spec.levels = [lv for lv in spec.levels if lv.level != "1"]
    actions.save_plan(user("city_admin"), spec)
    before = counts()
    with pytest.raises(Invalid, match="Ⅰ"):
        actions.start(user("commander"), plan(), "1")
    assert counts() == before


def test_an_area_outside_the_starters_jurisdiction(user):
    from citywatch.core import actions as core_actions
    from citywatch.core.choices import Role

    core_actions.save_user(
        username="huli_commander",
        role=Role.COMMANDER,
        jurisdiction=AdminArea.objects.get(code=HULI),
        must_change_password=False,
    )
    before = counts()
    with pytest.raises(Forbidden, match="思明区"):
        actions.start(user("huli_commander"), plan(), "3", AdminArea.objects.get(code=SIMING))
    assert counts() == before
    response = actions.start(user("huli_commander"), plan(), "3", AdminArea.objects.get(code=HULI))
    assert response.area.code == HULI


def test_the_same_response_twice_is_a_conflict(user):
    actions.start(user("commander"), plan(), "4")
    before = counts()
    with pytest.raises(Conflict):
        actions.start(user("commander"), plan(), "3")
    assert counts() == before
    # A drill of the same hazard may run beside the real response.
    drill = actions.start(user("commander"), plan(), "3", exercise=True)
    assert drill.exercise
    assert Message.objects.filter(kind="response.started").latest("id").exercise


def test_upgrade_downgrade_end(user):
    commander = user("commander")
    response = actions.start(commander, plan(), "4")
    four = response.actions.count()
    response = actions.change_level(commander, response, "2", "台风橙色预警", response.version)
    assert response.level == "2" and response.actions.filter(level="2").count() > 0
    assert response.actions.filter(level="4", status=ActionStatus.OPEN).count() == four
    with pytest.raises(Conflict):
        actions.change_level(commander, response, "3", "旧版本", expected_version=1)
    response = actions.change_level(commander, response, "3", "风力减弱")
    assert not response.actions.filter(level="2", status=ActionStatus.OPEN).exists()
    assert response.actions.filter(level="3").exists()
    with pytest.raises(Invalid):
        actions.change_level(commander, response, "4", "")  # a reason is required
    kinds = list(Message.objects.filter(payload__response=response.pk).values_list("kind", flat=True))
    assert kinds.count("response.changed") == 2
    response = actions.end(commander, response, "台风已过境")
    assert response.status == ResponseStatus.ENDED
    assert not response.actions.filter(status=ActionStatus.OPEN).exists()
    assert Message.objects.filter(kind="response.ended", payload__response=response.pk).count() == 1
    with pytest.raises(Conflict):
        actions.end(commander, response, "再次结束")


def test_mark_done_with_a_note(user):
    response = actions.start(user("commander"), plan(), "4")
    item = response.actions.first()
    item = actions.mark_done(user("duty_officer"), item, "已完成会商")
    assert item.status == ActionStatus.DONE and item.note == "已完成会商" and not item.late
    with pytest.raises(Conflict):
        actions.mark_done(user("duty_officer"), item, "again")


def test_overdue_actions_are_escalated_once_with_a_fake_clock(user):
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(days=1)
    response = actions.start(user("commander"), plan(), "4", now=start)
    first = response.actions.order_by("deadline", "id").first()
    # One minute before the first deadline nothing is due; one second after, exactly the due ones.
    assert actions.escalate_overdue(first.deadline - datetime.timedelta(minutes=1)) == 0
    due = response.actions.filter(deadline__lt=first.deadline + datetime.timedelta(seconds=1)).count()
    assert actions.escalate_overdue(first.deadline + datetime.timedelta(seconds=1)) == due
    assert actions.escalate_overdue(first.deadline + datetime.timedelta(seconds=2)) == 0
    assert Message.objects.filter(kind="action.overdue", payload__response=response.pk).count() == due
    # A done action is never escalated.
    later = response.actions.order_by("-deadline").first()
    actions.mark_done(user("duty_officer"), later, "", now=later.deadline + datetime.timedelta(minutes=5))
    total = response.actions.count()
    assert actions.escalate_overdue(start + datetime.timedelta(days=60)) == total - due - 1
    assert ChecklistAction.objects.get(pk=later.pk).late
