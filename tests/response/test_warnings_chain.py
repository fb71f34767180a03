"""The chain through the warnings app's own actions: a warning issued, upgraded and lifted proposes a
response, its upgrade and its end; the commander decides each; the response lists the warning as its cause."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from citywatch.core.models import User
from citywatch.response import actions as response_actions
from citywatch.response.models import Proposal, Response
from citywatch.warnings import actions as warning_actions
from citywatch.warnings.models import Warning
from tests.support.places import CITY

pytestmark = pytest.mark.django_db


def data(level, exercise=False):
    now = timezone.now()
    return warning_actions.WarningInput(
        hazard="typhoon",
        level=level,
        area_codes=[CITY],
        onset=now,
        expires=now + datetime.timedelta(hours=12),
        exercise=exercise,
    )


def test_issue_upgrade_lift_propose_start_upgrade_end():
    commander = User.objects.get(username="commander")
    warning = warning_actions.draft_warning(commander, data("yellow"))
    before = Proposal.objects.count()
    warning_actions.issue(commander, warning)
    assert Proposal.objects.count() == before + 1
    start = Proposal.objects.latest("id")
    assert (start.kind, start.level, start.area.code) == ("start", "3", CITY)
    assert not Response.objects.filter(hazard="typhoon").exists()  # nothing starts by itself

    response = response_actions.act_on(commander, start)
    assert response.level == "3"

    warning_actions.update(commander, Warning.objects.get(pk=warning.pk), data("orange"))
    upgrade = Proposal.objects.latest("id")
    assert (upgrade.kind, upgrade.level, upgrade.response_id) == ("upgrade", "2", response.pk)
    response = response_actions.act_on(commander, upgrade)
    assert response.level == "2"

    warning_actions.lift(commander, Warning.objects.get(pk=warning.pk))
    end = Proposal.objects.latest("id")
    assert end.kind == "end" and end.response_id == response.pk
    response = response_actions.act_on(commander, end, reason="台风预警解除")
    assert not response.active
    from citywatch.response import queries

    assert [c.message.kind for c in queries.causes(response)] == [
        "warning.issued",
        "warning.updated",
        "warning.lifted",
    ]
    from tests.support.personas import client_for

    page = client_for("commander").get(f"/responses/{response.pk}/").content.decode()
    assert f'href="/warnings/{warning.pk}/"' in page


def test_a_lifted_warning_leaves_no_start_proposal_open():
    """A warning lifted before anyone started the response it proposed: the proposal lapses (the duty
    screen must not offer 启动应急响应 for a warning no longer in force)."""
    commander = User.objects.get(username="commander")
    warning = warning_actions.draft_warning(commander, data("yellow"))
    warning_actions.issue(commander, warning)
    start = Proposal.objects.latest("id")
    assert (start.kind, start.status) == ("start", "open")

    warning_actions.lift(commander, Warning.objects.get(pk=warning.pk))
    start.refresh_from_db()
    assert start.status == "superseded"
    assert not Proposal.objects.filter(status="open", hazard="typhoon").exists()
    assert not Response.objects.filter(hazard="typhoon").exists()
