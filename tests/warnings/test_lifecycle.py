"""A warning's lifecycle by persona: drafting, approval, issuing, updates, lifting, expiry; every
publication a version with valid CAP referencing the previous one, and one outbox message."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from citywatch.core.errors import Conflict, Forbidden, Invalid
from citywatch.core.models import User
from citywatch.notify.models import Message
from citywatch.warnings import actions, cap
from citywatch.warnings.choices import MsgType, WarningStatus
from citywatch.warnings.models import Warning

TONGAN = "350212"
HULI = "350206"


def user(name):
    return User.objects.get(username=name)


def data(level="orange", codes=(TONGAN,), **kw):
    now = timezone.now()
    kw.setdefault("onset", now)
    kw.setdefault("expires", now + datetime.timedelta(hours=6))
    return actions.WarningInput(hazard="rainstorm", level=level, area_codes=list(codes), **kw)


@pytest.mark.django_db
def test_duty_officer_drafts_commander_approves_and_cap_chain():
    duty, commander = user("duty_officer"), user("commander")
    warning = actions.draft_warning(duty, data("orange"))
    assert warning.status == WarningStatus.DRAFT
    assert warning.headline == "同安区暴雨橙色预警"
    assert "停课" in warning.instructions  # the default guidance of an orange rainstorm
    assert warning.area.code == TONGAN

    with pytest.raises(Forbidden):
        actions.issue(duty, warning)
    actions.submit(duty, warning)
    first = actions.issue(commander, Warning.objects.get(pk=warning.pk))
    issued = Message.objects.filter(kind="warning.issued", object_id=str(warning.pk))
    assert issued.count() == 1 and issued.get().payload["level"] == "orange"

    alert = cap.read_alert(first.cap.encode(), accept_cap11=False)
    assert alert.msg_type == cap.MsgType.ALERT and alert.status == cap.Status.ACTUAL
    assert [i.language for i in alert.infos] == ["zh-CN", "en"]
    zh = alert.infos[0]
    assert cap.signal_level(zh) == "orange"
    assert cap.division_codes(zh.areas[0]) == (TONGAN,)
    assert zh.areas[0].polygons, "the district's boundary goes out as a polygon"

    warning.refresh_from_db()
    second = actions.update(commander, warning, data("red"))
    assert second.change == "upgrade" and second.previous_id == first.pk
    alert2 = cap.read_alert(second.cap.encode())
    assert alert2.msg_type == cap.MsgType.UPDATE
    assert [r.identifier for r in alert2.references] == [first.identifier]

    warning.refresh_from_db()
    third = actions.lift(commander, warning)
    assert third.msg_type == MsgType.CANCEL
    alert3 = cap.read_alert(third.cap.encode())
    assert [r.identifier for r in alert3.references] == [first.identifier, second.identifier]
    assert Message.objects.filter(kind="warning.lifted").exists()
    with pytest.raises(Conflict):
        actions.lift(commander, Warning.objects.get(pk=warning.pk))


@pytest.mark.django_db
def test_duty_officer_issues_blue_and_yellow_only_with_the_setting():
    duty = user("duty_officer")
    yellow = actions.draft_warning(duty, data("yellow"))
    with pytest.raises(Forbidden):
        actions.issue(duty, yellow)
    with override_settings(CITYWATCH_WARNINGS_DUTY_OFFICER_ISSUES_LOW=True):
        version = actions.issue(duty, Warning.objects.get(pk=yellow.pk))
        assert version.msg_type == MsgType.ALERT
        orange = actions.draft_warning(duty, data("orange"))
        with pytest.raises(Forbidden):
            actions.issue(duty, orange)
        # nor may they upgrade the yellow one to orange themselves
        with pytest.raises(Forbidden):
            actions.update(duty, Warning.objects.get(pk=yellow.pk), data("orange"))


@pytest.mark.django_db
def test_outside_jurisdiction_and_bad_times_are_refused_and_nothing_stored():
    siming = user("siming_officer")
    count = Warning.objects.count()
    with pytest.raises(Forbidden):
        actions.draft_warning(siming, data("blue", codes=(HULI,)))
    now = timezone.now()
    backwards = data(onset=now, expires=now - datetime.timedelta(hours=1))
    with pytest.raises(Invalid):
        actions.draft_warning(user("duty_officer"), backwards)
    with pytest.raises(Invalid):
        actions.draft_warning(user("duty_officer"), data(codes=("999999",)))
    assert Warning.objects.count() == count


@pytest.mark.django_db
def test_drill_is_exercise_and_expiry_by_the_worker():
    commander = user("commander")
    warning = actions.draft_warning(commander, data("blue", exercise=True))
    version = actions.issue(commander, warning)
    assert cap.read_alert(version.cap.encode()).status == cap.Status.EXERCISE
    message = Message.objects.filter(kind="warning.issued").latest("id")
    assert message.exercise and not message.public

    later = timezone.now() + datetime.timedelta(hours=7)
    assert actions.expire_due(now=later) >= 1
    warning.refresh_from_db()
    assert warning.status == WarningStatus.EXPIRED
    assert Message.objects.filter(kind="warning.expired").exists()


@pytest.mark.django_db
def test_lifting_and_expiry_notify_in_their_own_words():
    """The message a subscriber gets when a warning is lifted (or runs out) says so, as the CAP Cancel
    does; it does not repeat the issued warning's headline and guidance (「停课」) as if issued again."""
    commander = user("commander")
    lifted = actions.draft_warning(commander, data("red"))
    actions.issue(commander, lifted)
    lifted.refresh_from_db()
    actions.lift(commander, lifted)
    message = Message.objects.filter(kind="warning.lifted").latest("id")
    assert message.subject == "解除同安区暴雨红色预警"
    assert message.body == "该预警已解除。"

    expiring = actions.draft_warning(commander, data("blue", codes=(HULI,)))
    actions.issue(commander, expiring)
    assert actions.expire_due(now=timezone.now() + datetime.timedelta(hours=7)) >= 1
    message = Message.objects.filter(kind="warning.expired").latest("id")
    assert message.subject == "湖里区暴雨蓝色预警到期解除"
    assert message.body == "该预警已到期解除。"


@pytest.mark.django_db
def test_the_english_headline_names_areas_in_pinyin_not_by_code():
    """CAP's en info block reads "… for Tong'an District, Siming District", never "for 350212"."""
    from citywatch.core.models import AdminArea
    from citywatch.warnings.actions.drafting import default_headline, english_name
    from citywatch.warnings.models import HazardType

    tongan, siming = AdminArea.objects.get(code="350212"), AdminArea.objects.get(code="350203")
    assert english_name(tongan) == "Tong'an District"
    assert english_name(siming) == "Siming District"
    assert english_name(AdminArea.objects.get(code="350200")) == "Xiamen City"
    headline = default_headline(
        HazardType.objects.get(code="rainstorm"), "orange", [tongan, siming], english=True
    )
    assert headline.endswith("for Tong'an District, Siming District") and "3502" not in headline
