"""Demo incidents (（演示）) in four districts, today's duty roster and a handover entry.

Everything goes through the incident actions (so the incident log, the stock ledger and the change log
are written as in real use), then the lifecycle times are moved back to a plausible timeline before
the load. Idempotent: each incident carries a stable marker (a log note with ``data.demo_ref`` =
``demo-incident-N``) and is skipped when present; shifts are keyed by (area, start), the handover entry
by its shift. Deterministic: fixed specs, places from the district points, teams and depot chosen by
distance with ties broken by external id — no randomness.

The dispatched incident gets one sitrep (``attach_demo_sitrep``), generated once.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from citywatch.core.models import AdminArea, User
from citywatch.incidents import actions, queries
from citywatch.incidents.models import DutyShift, HandoverEntry, Incident, IncidentLog, Sitrep

SUFFIX = "（演示）"
CITY_CODE = "350200"
SIMING, HAICANG, HULI, TONGAN = "350203", "350205", "350206", "350212"


@dataclass(frozen=True)
class DemoIncident:
    ref: str
    district: str
    title: str
    category: str
    type: str
    # The furthest step reached: reported, verified, responding, stabilised, closed.
    status: str
    # Minutes before the load: reported, verified, responding, stabilised, closed (as far as reached).
    minutes_ago: tuple[int, ...]
    severity: str | None = None
    exercise: bool = False
    description: str = ""
    reports: tuple[str, ...] = ()  # upward reports recorded (first, written)
    counts: dict = field(default_factory=dict)
    dispatch: bool = False  # two teams, supplies, a command post (the landslide)


INCIDENTS = [
    DemoIncident(
        ref="demo-incident-1",
        district=TONGAN,
        title="同安区山体滑坡" + SUFFIX,
        category="natural_disaster",
        type="landslide",
        status="responding",
        minutes_ago=(180, 160, 150),
        severity="3",
        description="连续强降雨引发山体滑坡，部分民房受损，群众转移中。合成演示数据。",
        reports=("first",),
        counts={"injuries": 3, "missing": 1},
        dispatch=True,
    ),
    DemoIncident(
        ref="demo-incident-2",
        district=SIMING,
        title="思明区台风暴雨城市内涝" + SUFFIX,
        category="natural_disaster",
        type="flood",
        status="reported",
        minutes_ago=(40,),
        description="台风外围暴雨致低洼路段积水，待核实。合成演示数据。",
    ),
    DemoIncident(
        ref="demo-incident-3",
        district=HAICANG,
        title="海沧区危险化学品泄漏应急演练" + SUFFIX,
        category="accident_disaster",
        type="hazchem_leak",
        status="stabilised",
        minutes_ago=(300, 290, 280, 180),
        exercise=True,
        description="演练：储罐区模拟泄漏，企业处置与区级联动。合成演示数据。",
        reports=("first", "written"),
    ),
    DemoIncident(
        ref="demo-incident-4",
        district=HULI,
        title="湖里区道路交通事故" + SUFFIX,
        category="accident_disaster",
        type="traffic",
        status="closed",
        minutes_ago=(1560, 1550, 1540, 1320, 1200),
        description="两车相撞，伤员已送医，道路恢复通行。合成演示数据。",
        reports=("first", "written"),
        counts={"injuries": 2},
    ),
]
STEPS = ["verify", "respond", "stabilise", "close"]
TIME_FIELDS = ["reported_at", "verified_at", "responding_at", "stabilised_at", "closed_at"]
POST_AFTER_VERIFICATION = datetime.timedelta(minutes=25)


def _marker(ref: str):
    return IncidentLog.objects.filter(data__demo_ref=ref).select_related("incident").first()


def _distance(a, b) -> float:
    coslat = math.cos(math.radians(a.y))
    return math.hypot((a.x - b.x) * coslat, a.y - b.y)


def _nearest_teams(incident: Incident, district: AdminArea, n: int) -> list:
    from citywatch.resources.choices import TeamStatus
    from citywatch.resources.models import RescueTeam

    teams = (
        RescueTeam.objects.filter(
            external_id__startswith="demo-",
            area__path__startswith=district.path,
            status=TeamStatus.AVAILABLE,
            location__isnull=False,
        )
        .exclude(kind="social")
        .only("id", "external_id", "location")
    )
    ranked = sorted(teams, key=lambda t: (round(_distance(t.location, incident.location), 9), t.external_id))
    return ranked[:n]


def _nearest_depot(incident: Incident, item: str, quantity: Decimal):
    from citywatch.resources.models import StockBalance

    balances = StockBalance.objects.filter(
        item__code=item, quantity__gte=quantity, depot__location__isnull=False
    ).select_related("depot")
    ranked = sorted(
        (b.depot for b in balances),
        key=lambda d: (round(_distance(d.location, incident.location), 9), d.external_id),
    )
    return ranked[0] if ranked else None


def _backdate(incident: Incident, spec: DemoIncident, now) -> Incident:
    """Move the lifecycle (and recorded reports) back to the spec's timeline before ``now``."""
    incident = Incident.objects.get(pk=incident.pk)
    times = {
        name: now - datetime.timedelta(minutes=m)
        for name, m in zip(TIME_FIELDS, spec.minutes_ago, strict=False)
    }
    for name, value in times.items():
        setattr(incident, name, value)
    changed = list(times)
    if incident.verified_at is not None:
        if incident.first_report_at is not None:
            incident.first_report_at = incident.verified_at + datetime.timedelta(minutes=20)
            changed.append("first_report_at")
        if incident.written_report_at is not None:
            incident.written_report_at = incident.verified_at + datetime.timedelta(minutes=55)
            changed.append("written_report_at")
    incident.save(update_fields=[*changed, "updated_at"])
    return incident


def attach_demo_sitrep(incident: Incident, user) -> int:
    """Generate one sitrep for ``incident`` unless it has one. Returns the number generated (0 or 1)."""
    if Sitrep.objects.filter(incident=incident).exists():
        return 0
    actions.generate_sitrep(incident, user)
    return 1


def _create(spec: DemoIncident, officer: User, team_leader: User | None, commander: User, now, tally: dict):
    district = AdminArea.objects.get(code=spec.district)
    data = {
        "title": spec.title,
        "category": spec.category,
        "type": spec.type,
        "lon": district.point.x,
        "lat": district.point.y,
        "description": spec.description,
        "exercise": spec.exercise,
        **spec.counts,
    }
    if spec.severity:
        data["severity"] = spec.severity
    incident = actions.create_incident(officer, data)
    actions.add_note(incident, officer, f"演示数据 {spec.ref}（合成，非真实事件）", {"demo_ref": spec.ref})
    for step in STEPS[: len(spec.minutes_ago) - 1]:
        if step == "close":
            for report in spec.reports:
                actions.record_report(incident, report, officer)
        incident = actions.transition(incident, step, officer)
    if spec.status != "closed":
        for report in spec.reports:
            actions.record_report(incident, report, officer)
    incident = _backdate(incident, spec, now)
    if spec.dispatch:
        actions.establish_post(
            incident,
            officer,
            lon=round(incident.location.x + 0.004, 6),
            lat=round(incident.location.y + 0.003, 6),
            leader=commander,
            members=[
                {"name": "市指挥长", "role": "总指挥"},
                {"name": "同安区应急局 值班长", "role": "现场协调"},
                {"name": "通信保障组", "role": "通信"},
            ],
            communications="350 MHz 应急频道 3；卫星电话（演示）；现场指挥车",
            established_at=incident.verified_at + POST_AFTER_VERIFICATION,
        )
        teams = _nearest_teams(incident, district, 2)
        for i, team in enumerate(teams):
            # The first order goes to the demo's team leader; the others to their team's leader on record.
            recipient = team_leader if i == 0 or team.leader_id is None else None
            dispatch = actions.request_dispatch(incident, team.pk, officer, recipient)
            moves = ["accept", "depart"] if i == 0 else ["accept", "depart", "arrive"]
            for move in moves:
                actions.dispatch_transition(dispatch, move, officer)
            tally["dispatches"] += 1
        depot = _nearest_depot(incident, "LIFE_JACKET", Decimal(200))
        if depot is not None:
            request = actions.request_supply(incident, officer, depot.pk, "LIFE_JACKET", 200, "转移群众用")
            actions.supply_transition(request, "approve", officer)
            actions.supply_transition(request, "ship", officer)
            tally["supply_requests"] += 1
        _command(incident, district, officer, commander, team_leader, now, tally)
    tally["incidents"] += 1
    return incident


def _command(incident, district, officer, commander, team_leader, now, tally: dict) -> None:
    """The landslide's command: roles, tasks (one done, one open and due) and a summoned geology expert."""
    from citywatch.resources.models import Expert

    actions.add_participant(incident, officer, commander, "commander")
    actions.add_participant(incident, officer, officer, "scribe")
    tally["participants"] += 2
    done = actions.create_task(incident, officer, "疏散滑坡体下方住户（演示）", commander)
    actions.task_transition(done, "done", officer)
    actions.create_task(
        incident, officer, "地质专家评估边坡稳定性（演示）", team_leader, now + datetime.timedelta(hours=2)
    )
    tally["tasks"] += 2
    # The district's own geology experts first, then the city's pool; the lowest id among them.
    for scope in (district.path, f"{CITY_CODE}."):
        expert = (
            Expert.objects.filter(
                category__code="earthquake_geology", availability="available", area__path__startswith=scope
            )
            .order_by("area__path", "pk")
            .first()
        )
        if expert is not None:
            s = actions.summon_expert(incident, expert.pk, officer, note="边坡稳定性评估（演示）")
            actions.summons_transition(s, "accept", officer)
            tally["summonses"] += 1
            return


def _roster(officer: User, commander: User, now, tally: dict) -> None:
    """Today's city roster (last night's, today's day and tonight's shift) and one handover entry."""
    city = AdminArea.objects.get(code=CITY_CODE)
    day_start, _ = queries.local_day(now)
    starts = [
        day_start - datetime.timedelta(hours=4),
        day_start + datetime.timedelta(hours=8),
        day_start + datetime.timedelta(hours=20),
    ]
    shifts = []
    for start in starts:
        shift = DutyShift.objects.filter(area=city, start=start).first()
        if shift is None:
            shift = actions.create_shift(
                officer,
                area=city,
                start=start,
                end=start + datetime.timedelta(hours=12),
                duty_officer=officer,
                leader_on_call=commander,
                note=SUFFIX,
            )
            tally["shifts"] += 1
        shifts.append(shift)
    night = shifts[0]
    if not HandoverEntry.objects.filter(shift=night).exists():
        actions.add_handover(
            night,
            officer,
            "夜班交班（演示）：同安区山体滑坡处置中，前方指挥部已开设；海沧区危化品泄漏演练已稳控。",
            ["跟踪同安区滑坡书面报告", "核实思明区内涝报告"],
        )
        tally["handover"] += 1


@transaction.atomic
def load_incidents(now: datetime.datetime | None = None) -> dict[str, int]:
    """Load the demo incidents and today's roster; a second load writes nothing."""
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    officer = User.objects.get(username="duty_officer")
    commander = User.objects.get(username="commander")
    team_leader = User.objects.filter(username="team_leader").first()
    tally = {
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
    for spec in INCIDENTS:
        marker = _marker(spec.ref)
        incident = marker.incident if marker else _create(spec, officer, team_leader, commander, now, tally)
        if spec.dispatch:
            tally["sitreps"] += attach_demo_sitrep(incident, officer)
    _roster(officer, commander, now, tally)
    return tally
