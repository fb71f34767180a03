"""Proposals by the plan's rule (DOMAIN.md §3.2), exhaustively: hazard × warning level × running
response × warning event, through the real path (a warning event written to the outbox proposes in the
same transaction), against a table written from the rule's text."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from citywatch import notify
from citywatch.core.models import AdminArea
from citywatch.notify.models import Message
from citywatch.response import actions
from citywatch.response.choices import ProposalKind, ResponseProposalStatus
from citywatch.response.models import Plan, Proposal
from tests.support.places import CITY, SIMING

pytestmark = pytest.mark.django_db

COLOURS = ("blue", "yellow", "orange", "red")
RUNNING = (None, "4", "3", "2", "1")
HAZARDS = ("typhoon", "rainstorm", "flood")  # the demo has no flood plan


def expected(hazard, colour, running, event):
    """The rule as DOMAIN.md §3.2 writes it: typhoon response = warning level; rainstorm = one level
    below (a blue Ⅳ rainstorm warning starts nothing); an upgraded warning proposes upgrading a running
    response that is lower; a lifted warning proposes ending the running response; no plan, nothing."""
    if hazard == "flood":
        return None
    if event == "warning.lifted":
        return (ProposalKind.END, running) if running else None
    warning_number = {"blue": 4, "yellow": 3, "orange": 2, "red": 1}[colour]
    number = warning_number if hazard == "typhoon" else warning_number + 1
    if number > 4:
        return None
    if running is None:
        return (ProposalKind.START, str(number))
    if number < int(running):
        return (ProposalKind.UPGRADE, str(number))
    return None


def warning_event(kind, hazard, colour, area, exercise=False):
    return notify.publish(
        kind,
        area=area,
        subject=f"{hazard} {colour} warning",
        hazard=hazard,
        level=colour,
        exercise=exercise,
        public=not exercise,
    )


def test_every_hazard_level_running_response_and_event(user):
    city = AdminArea.objects.get(code=CITY)
    commander = user("commander")
    cases = list(
        itertools.product(HAZARDS, COLOURS, RUNNING, ("warning.issued", "warning.updated", "warning.lifted"))
    )
    assert len(cases) == 180
    for hazard, colour, running, event in cases:
        with transaction.atomic():
            response = None
            if running and hazard != "flood":
                plan = Plan.objects.get(hazard=hazard, area=city)
                response = actions.start(commander, plan, running)
            before = Proposal.objects.count()
            warning_event(event, hazard, colour, city)
            made = Proposal.objects.order_by("-id").first() if Proposal.objects.count() > before else None
            got = (made.kind, made.level) if made else None
            assert got == expected(hazard, colour, running, event), (hazard, colour, running, event)
            if made:
                assert made.response_id == (response.pk if response else None)
                # The proposal rides on the warning event: no message of its own.
                assert Message.objects.latest("id").kind == event
            transaction.set_rollback(True)


def test_the_commander_may_choose_a_higher_level_than_proposed(user):
    city = AdminArea.objects.get(code=CITY)
    with transaction.atomic():
        warning_event("warning.issued", "rainstorm", "red", city)
    proposal = Proposal.objects.latest("id")
    assert (proposal.kind, proposal.level) == (ProposalKind.START, "2")
    response = actions.act_on(user("commander"), proposal, level="1", reason="灾情严重")
    assert response.level == "1"
    proposal.refresh_from_db()
    assert proposal.status == ResponseProposalStatus.ACCEPTED and proposal.response_id == response.pk
    # An upgraded warning then proposes nothing (the response is already at Ⅰ); lifting proposes the end.
    with transaction.atomic():
        warning_event("warning.updated", "rainstorm", "red", city)
        warning_event("warning.lifted", "rainstorm", "red", city)
    end = Proposal.objects.latest("id")
    assert end.kind == ProposalKind.END and end.response_id == response.pk
    actions.act_on(user("commander"), end, reason="预警解除")
    response.refresh_from_db()
    assert not response.active


def test_a_newer_proposal_supersedes_the_open_one_and_nothing_starts_by_itself(user):
    district = AdminArea.objects.get(code=SIMING)  # the city's plan covers the district
    with transaction.atomic():
        warning_event("warning.issued", "typhoon", "blue", district)
        warning_event("warning.updated", "typhoon", "orange", district)
    first, second = Proposal.objects.order_by("-id")[1], Proposal.objects.order_by("-id")[0]
    assert first.status == ResponseProposalStatus.SUPERSEDED and second.status == ResponseProposalStatus.OPEN
    assert (second.kind, second.level, second.area.code) == (ProposalKind.START, "2", SIMING)
    from citywatch.response.models import Response

    assert not Response.objects.filter(area=district).exists()
    actions.dismiss(user("commander"), second, "已由市级统一响应")
    second.refresh_from_db()
    assert second.status == ResponseProposalStatus.DISMISSED


def test_a_drill_warning_proposes_a_drill(user):
    city = AdminArea.objects.get(code=CITY)
    with transaction.atomic():
        warning_event("warning.issued", "typhoon", "yellow", city, exercise=True)
    proposal = Proposal.objects.latest("id")
    assert proposal.exercise
    response = actions.act_on(user("commander"), proposal)
    assert response.exercise and response.level == "3"
    started = Message.objects.filter(kind="response.started").latest("id")
    assert started.exercise and not started.public


def test_rule_table_for_a_plan_without_some_levels():
    assert actions.rule_proposal("same", ["4", "3"], "warning.issued", "red", None) is None
    assert actions.rule_proposal("same", ["4", "3"], "warning.issued", "yellow", None) == ("start", "3")
    assert actions.rule_proposal("none", ["4", "3"], "warning.issued", "yellow", None) is None
    assert actions.rule_proposal("one_below", ["4"], "warning.issued", "blue", None) is None


def test_a_failing_proposal_never_blocks_the_warning(monkeypatch):
    from citywatch.notify.actions import reactions

    def broken(message):
        raise RuntimeError("a bug in the rule")

    assert "response.proposals" in reactions.REACTIONS  # the response app's reaction to warning events
    monkeypatch.setitem(
        reactions.REACTIONS,
        "response.proposals",
        reactions.Reaction("warning.*", broken, "response.proposals"),
    )
    city = AdminArea.objects.get(code=CITY)
    before = Proposal.objects.count()
    with transaction.atomic():
        message = warning_event("warning.issued", "typhoon", "red", city)
    assert Message.objects.filter(pk=message.pk).exists() and Proposal.objects.count() == before
