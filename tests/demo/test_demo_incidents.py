"""Demo incidents: labelled, in four districts, one a drill; the landslide with two teams, life jackets
shipped from the nearest depot and a command post 25 minutes after verification; today's roster;
idempotent (a second load writes nothing) and deterministic (fixed specs, no randomness)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from citywatch.core.models import AdminArea, ObjectChange
from citywatch.demo import incidents as demo
from citywatch.incidents.models import (
    CommandPost,
    Dispatch,
    DutyShift,
    ExpertSummons,
    HandoverEntry,
    Incident,
    IncidentLog,
    Participant,
    SupplyRequest,
    Task,
)
from citywatch.resources.models import StockMovement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loaded(db):
    """The session's ``load_demo()`` loads them already; loading here too (a no-op then) keeps these
    tests valid if the session fixture stops loading demo incidents."""
    return demo.load_incidents()


def demo_incidents() -> dict[str, Incident]:
    out = {}
    for entry in IncidentLog.objects.filter(data__has_key="demo_ref").select_related("incident__area"):
        out[entry.data["demo_ref"]] = entry.incident
    return out


def district(incident) -> str:
    return [c for c in incident.area.path.split(".") if c][1]


def snapshot() -> list[tuple]:
    rows = []
    for ref, i in sorted(demo_incidents().items()):
        rows.append(
            (
                ref,
                i.title,
                i.category,
                i.type,
                i.status,
                i.exercise,
                i.severity,
                district(i),
                round(i.location.x, 9),
                round(i.location.y, 9),
            )
        )
    return rows


def test_demo_incidents_as_specified():
    found = demo_incidents()
    assert sorted(found) == [s.ref for s in demo.INCIDENTS]
    expected = []
    for spec in demo.INCIDENTS:
        point = AdminArea.objects.get(code=spec.district).point
        incident = found[spec.ref]
        assert incident.title.endswith("（演示）")
        expected.append(
            (
                spec.ref,
                spec.title,
                spec.category,
                spec.type,
                spec.status,
                spec.exercise,
                incident.severity,
                spec.district,
                round(point.x, 9),
                round(point.y, 9),
            )
        )
        if spec.severity:
            assert incident.severity == spec.severity
    # Deterministic: every field follows from the fixed specs and the district points.
    assert snapshot() == expected
    assert [i.exercise for i in (found[s.ref] for s in demo.INCIDENTS)].count(True) == 1
    assert len({district(i) for i in found.values()}) == 4


def test_landslide_teams_supplies_and_command_post():
    landslide = demo_incidents()["demo-incident-1"]
    assert landslide.status == "responding" and district(landslide) == demo.TONGAN
    dispatches = Dispatch.objects.filter(incident=landslide).select_related("team")
    assert sorted(d.status for d in dispatches) == ["en_route", "on_scene"]
    # The two nearest Tongan teams that were available (they are deployed now).
    teams = {d.team.pk for d in dispatches}
    assert all(d.team.status == "deployed" and district(d.team) == demo.TONGAN for d in dispatches)
    tongan = AdminArea.objects.get(code=demo.TONGAN)
    from citywatch.resources.models import RescueTeam

    RescueTeam.objects.filter(pk__in=teams).update(status="available")
    assert {t.pk for t in demo._nearest_teams(landslide, tongan, 2)} == teams
    supply = SupplyRequest.objects.get(incident=landslide)
    assert supply.item.code == "LIFE_JACKET" and supply.status == "shipped"
    assert supply.quantity_shipped == Decimal(200)
    assert StockMovement.objects.filter(reference=f"INC-{landslide.pk}", depot=supply.depot).exists()
    post = CommandPost.objects.get(incident=landslide, closed_at__isnull=True)
    assert post.minutes_from_verification == 25.0 and post.within_target is True
    assert post.leader.username == "commander" and post.members
    # Verified long enough ago that the written report is overdue; the first one went up.
    assert landslide.first_report_at is not None and landslide.written_report_at is None
    closed = demo_incidents()["demo-incident-4"]
    assert closed.closed_at and closed.reported_at < closed.verified_at < closed.closed_at


def test_landslide_command_roles_tasks_and_expert():
    landslide = demo_incidents()["demo-incident-1"]
    active = Participant.objects.filter(incident=landslide, ended_at__isnull=True)
    roles = sorted(active.values_list("user__username", "role"))
    assert roles == [("commander", "commander"), ("duty_officer", "scribe")]
    tasks = {t.title: t for t in Task.objects.filter(incident=landslide)}
    assert sorted(t.status for t in tasks.values()) == ["done", "open"]
    open_task = next(t for t in tasks.values() if t.status == "open")
    assert open_task.owner.username == "team_leader" and open_task.due_at > landslide.verified_at
    summons = ExpertSummons.objects.select_related("expert__category").get(incident=landslide)
    assert summons.status == "accepted" and summons.expert.availability == "busy"
    assert summons.expert.category.code == "earthquake_geology"
    # The sitrep generated afterwards lists the open task among the next steps.
    assert open_task.title in landslide.sitreps.get(number=1).next_steps


def test_todays_roster_and_handover():
    now = timezone.now()
    from citywatch.incidents.queries import local_day

    day_start, day_end = local_day(now)
    shifts = DutyShift.objects.filter(
        area__code=demo.CITY_CODE, start__lt=day_end, end__gt=day_start, note="（演示）"
    )
    assert shifts.count() == 3
    assert {s.duty_officer.username for s in shifts} == {"duty_officer"}
    assert {s.leader_on_call.username for s in shifts} == {"commander"}
    assert shifts.filter(start__lte=now, end__gt=now).count() == 1
    assert HandoverEntry.objects.filter(shift__in=shifts).count() == 1


def test_second_load_writes_nothing():
    models = [
        Incident,
        IncidentLog,
        Dispatch,
        SupplyRequest,
        CommandPost,
        Participant,
        Task,
        ExpertSummons,
        DutyShift,
        HandoverEntry,
        StockMovement,
        ObjectChange,
    ]
    before = {m.__name__: m.objects.count() for m in models}
    before_snapshot = snapshot()
    tally = demo.load_incidents()
    assert tally == {
        "incidents": 0,
        "dispatches": 0,
        "supply_requests": 0,
        "participants": 0,
        "tasks": 0,
        "summonses": 0,
        "shifts": 0,
        "handover": 0,
        "sitreps": 0,
    }
    assert {m.__name__: m.objects.count() for m in models} == before
    assert snapshot() == before_snapshot
