"""A duty officer dismisses a proposal with a reason: it is not proposed again for the same hazard, area
and level (nor below) while the signal holds, and comes back, announced, when the level rises above the
one dismissed. The dismissal is in the change log; who may draft a warning from a proposal may dismiss it;
a blank reason is refused and changes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from citywatch.core.models import ObjectChange
from citywatch.notify.models import Message
from citywatch.warnings import actions
from citywatch.warnings.choices import ProposalStatus
from citywatch.warnings.models import Proposal
from tests.support.personas import client_for
from tests.support.places import TONGAN
from tests.warnings.test_proposals import gauge, rain  # noqa: F401  (the fixture)

HOUR = datetime.timedelta(hours=1)


def tongan():
    return Proposal.objects.filter(hazard__code="rainstorm", area__code=TONGAN).order_by("-id")


def announced(proposal):
    return sorted(
        Message.objects.filter(kind="warning.proposed", object_id=str(proposal.pk)).values_list(
            "level", flat=True
        )
    )


@pytest.mark.django_db
def test_a_dismissed_proposal_stays_dismissed_until_the_level_rises(gauge):  # noqa: F811
    now = timezone.now().replace(microsecond=0)
    start = now - 11 * HOUR
    rain(gauge, start, [5.0] * 10 + [0.0, 0.0])  # 50 mm in 12 h: blue
    actions.compute_proposals(now=now)
    proposal = tongan().get()
    assert (proposal.level, proposal.status) == ("blue", ProposalStatus.OPEN)

    duty = client_for("duty_officer")
    url = f"/api/v1/warnings/proposals/{proposal.pk}/dismiss"
    blank = duty.post(url, {"reason": "  "}, content_type="application/json")
    assert blank.status_code in (400, 422), blank.content
    assert tongan().get().status == ProposalStatus.OPEN
    assert client_for("siming_officer").post(
        url, {"reason": "x"}, content_type="application/json"
    ).status_code in (
        403,
        404,
    )
    r = duty.post(url, {"reason": "雨带已移出，现场核实无积水"}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["status"], body["dismissed_level"], body["dismiss_reason"]) == (
        "dismissed",
        "blue",
        "雨带已移出，现场核实无积水",
    )
    logged = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Proposal), object_id=str(proposal.pk)
    ).order_by("-id")
    assert logged.first().user.username == "duty_officer"
    assert logged.first().after["dismiss_reason"] == "雨带已移出，现场核实无积水"
    dismissed = Message.objects.get(kind="warning.proposal_dismissed", object_id=str(proposal.pk))
    assert (dismissed.body, dismissed.public) == ("雨带已移出，现场核实无积水", False)
    assert dismissed.level == "blue"
    again = duty.post(url, {"reason": "再次"}, content_type="application/json")
    assert again.status_code == 409

    # more rain at the same level: computed again, not proposed again, no new message
    rain(gauge, now + HOUR, [5.0])  # the 12 h window still holds 50 mm
    actions.compute_proposals(now=now + HOUR)
    assert tongan().count() == 1
    assert tongan().get().status == ProposalStatus.DISMISSED
    listed = duty.get("/api/v1/warnings/proposals", {"area": TONGAN}).json()["items"]
    assert not [i for i in listed if i["hazard"] == "rainstorm"]
    assert announced(proposal) == ["blue"]

    # the level rises above the one dismissed (54 mm in the last 6 h, 49 in 3 h: yellow): open again
    rain(gauge, now + 2 * HOUR, [22.0, 22.0])
    actions.compute_proposals(now=now + 3 * HOUR)
    risen = tongan().get()
    assert risen.pk == proposal.pk
    assert (risen.level, risen.status) == ("yellow", ProposalStatus.OPEN)
    assert announced(proposal) == ["blue", "yellow"]
    listed = duty.get("/api/v1/warnings/proposals", {"area": TONGAN}).json()["items"]
    assert [(i["hazard"], i["level"]) for i in listed if i["hazard"] == "rainstorm"] == [
        ("rainstorm", "yellow")
    ]


@pytest.mark.django_db
def test_after_the_signal_lapsed_a_new_storm_is_proposed_again(gauge):  # noqa: F811
    now = timezone.now().replace(microsecond=0)
    rain(gauge, now - 11 * HOUR, [5.0] * 10 + [0.0, 0.0])
    actions.compute_proposals(now=now)
    proposal = tongan().get()
    actions.dismiss_proposal(_user("commander"), proposal, "演练前的测试数据")
    # thirteen dry hours: the signal is gone, the dismissal with it
    rain(gauge, now + HOUR, [0.0] * 13)
    actions.compute_proposals(now=now + 13 * HOUR)
    assert tongan().get().status == ProposalStatus.LAPSED
    # a new storm at the same level is proposed anew
    rain(gauge, now + 14 * HOUR, [5.0] * 10)
    actions.compute_proposals(now=now + 23 * HOUR)
    fresh = tongan().first()
    assert fresh.pk != proposal.pk and (fresh.level, fresh.status) == ("blue", ProposalStatus.OPEN)


def _user(username):
    from citywatch.core.models import User

    return User.objects.get(username=username)
