"""``citywatch simulate typhoon --auto``: the typhoon's readings go through monitoring's ingestion, the
gust and rainfall alarms open, the warnings app proposes typhoon warnings for the districts its stations
cover, and the chain follows in order (issue → response proposal at the plan's level → start → checklist
→ lift → end); its notifications and the public side. With ``--exercise``: nothing ingested, nothing
public, a scored drill report."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from citywatch.monitoring.models import Alarm, Observation
from citywatch.notify.models import Delivery, Message
from citywatch.response.models import Proposal as ResponseProposal
from citywatch.response.models import Response
from citywatch.warnings.models import Proposal, Warning
from tests.monitoring.stations_support import small_demo  # noqa: F401
from tests.support.notify import subscription

pytestmark = pytest.mark.django_db

# The chain's steps in order (other messages — alarms, more proposals, checklist items — in between).
CHAIN = [
    "warning.issued",  # the observatory's blue warning (CAP): the typhoon context
    "alarm.opened",  # the gusts at the wind stations
    "warning.proposed",  # the warnings app's typhoon proposal from the stored readings
    "warning.issued",  # the commander's warning
    "response.started",
    "action.done",
    "warning.lifted",
    "response.ended",
    "warning.lifted",  # the observatory's
]


def in_order(kinds: list[str], steps: list[str]) -> bool:
    found = iter(kinds)
    return all(step in found for step in steps)


def simulate(*extra) -> str:
    out = io.StringIO()
    call_command(
        "simulate", "typhoon", "--auto", "--pause", "0", "--no-deliver", "--via", "direct", *extra, stdout=out
    )
    return out.getvalue()


def test_the_typhoon_chain_goes_through_ingestion(settings, small_demo):  # noqa: F811
    settings.CITYWATCH_MQTT_URL = ""
    first = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
    readings = Observation.objects.count()
    out = simulate()
    made = Message.objects.filter(id__gt=first).order_by("id")
    kinds = list(made.values_list("kind", flat=True))
    assert in_order(kinds, CHAIN), kinds
    # The readings were stored and the rules opened the gust alarms.
    assert Observation.objects.count() > readings
    assert Alarm.objects.filter(rule__variable__code="wind_gust").exists()
    # The typhoon proposals were the warnings app's, computed from the readings (their triggers name the
    # stations), at yellow for the districts with wind stations.
    proposals = Proposal.objects.filter(hazard__code="typhoon", exercise=False)
    yellow = [p for p in proposals if p.history and p.history[-1]["level"] == "yellow"]
    assert yellow and all(p.triggers and p.triggers[0]["station"] for p in yellow)
    issued = Warning.objects.get(source="citywatch", hazard__code="typhoon", exercise=False)
    assert issued.level == "yellow" and issued.proposal_id in {p.pk for p in yellow}
    assert set(issued.areas.values_list("code", flat=True)) == {p.area.code for p in yellow}
    # The plan's rule: a yellow typhoon warning proposes response level Ⅲ; started at it and ended.
    proposal = ResponseProposal.objects.get(hazard="typhoon", kind="start", exercise=False, level="3")
    response = Response.objects.get(hazard="typhoon", exercise=False)
    assert proposal.status == "accepted" and response.level == "3" and response.status == "ended"
    assert made.filter(kind="warning.issued", public=True).count() == 2
    assert not Proposal.objects.filter(hazard__code="typhoon", status="open", exercise=False).exists()
    assert "应急响应已启动" in out and "市气象局" in out


def test_the_typhoon_drill_is_scored_ingests_nothing_and_is_never_public(settings, tmp_path, small_demo):  # noqa: F811
    settings.CITYWATCH_MQTT_URL = ""
    public, _ = subscription("webhook", "http://127.0.0.1:9/public", public=True, name="公众网站")
    first = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
    readings = Observation.objects.count()
    simulate("--exercise", "--report-dir", str(tmp_path))
    made = Message.objects.filter(id__gt=first)
    kinds = list(made.order_by("id").values_list("kind", flat=True))
    assert in_order(kinds, [k for k in CHAIN if not k.startswith("alarm.")]), kinds
    assert made.count() and not made.filter(exercise=False).exists() and not made.filter(public=True).exists()
    assert Observation.objects.count() == readings and not made.filter(kind__startswith="alarm.").exists()
    assert not Delivery.objects.filter(subscription=public).exists()
    assert Proposal.objects.filter(hazard__code="typhoon", exercise=True, level="yellow").exists()
    drill = Response.objects.get(hazard="typhoon", exercise=True)
    assert drill.level == "3"
    [report] = tmp_path.glob("drill-*.pdf")
    assert report.read_bytes().startswith(b"%PDF") and str(drill.pk) in report.name


@pytest.mark.parametrize("exercise", [False, True])
def test_a_warning_in_force_is_public_unless_it_is_a_drill(settings, exercise, small_demo):  # noqa: F811
    from django.test import Client

    from citywatch.response.simulation import Run

    settings.CITYWATCH_MQTT_URL = ""
    run = Run(exercise=exercise, auto=True, pause=0, deliver=False, out=lambda text: None)
    run.official_warning("Alert")
    warning = run.issue_warning(run.approach())
    run.start_response()
    public = Client().get("/public/warnings.json")
    assert public.status_code == 200
    shown = warning.headline in public.content.decode()
    assert shown is not exercise
    feed = Client().get("/cap/feed.atom").content.decode()
    assert (warning.headline in feed) is not exercise
