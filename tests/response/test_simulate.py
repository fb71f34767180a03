"""``citywatch simulate typhoon --auto``: the whole chain in order, its notifications, the public side;
with ``--exercise``: a scored drill report and nothing public."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from citywatch.notify.models import Delivery, Message
from citywatch.response.models import Response
from tests.support.notify import subscription

pytestmark = pytest.mark.django_db

CHAIN = [
    "warning.proposed",
    "warning.issued",
    "response.started",
    "action.done",
    "warning.proposed",
    "warning.updated",
    "response.changed",
    "warning.lifted",
    "response.ended",
]


def kinds_since(first_id):
    kinds = list(Message.objects.filter(id__gt=first_id).order_by("id").values_list("kind", flat=True))
    out = []
    for k in kinds:  # consecutive action.done count as one step
        if not (out and out[-1] == k == "action.done"):
            out.append(k)
    return out


def test_the_typhoon_chain(settings, capsys):
    settings.CITYWATCH_MQTT_URL = ""
    first = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
    call_command("simulate", "typhoon", "--auto", "--pause", "0", "--no-deliver")
    assert kinds_since(first) == CHAIN
    response = Response.objects.get(hazard="typhoon", exercise=False)
    assert response.status == "ended" and response.level == "2"
    assert Message.objects.filter(id__gt=first, kind="warning.issued", public=True).exists()
    out = capsys.readouterr().out
    assert "应急响应已启动" in out and "市气象局" in out


def test_the_typhoon_drill_is_scored_and_never_public(settings, tmp_path):
    settings.CITYWATCH_MQTT_URL = ""
    public, _ = subscription("webhook", "http://127.0.0.1:9/public", public=True, name="公众网站")
    first = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
    call_command("simulate", "typhoon", "--auto", "--exercise", "--pause", "0", "--report-dir", str(tmp_path))
    made = Message.objects.filter(id__gt=first)
    assert kinds_since(first) == CHAIN
    assert made.count() and not made.filter(exercise=False).exists() and not made.filter(public=True).exists()
    assert not Delivery.objects.filter(subscription=public).exists()
    drill = Response.objects.get(hazard="typhoon", exercise=True)
    [report] = tmp_path.glob("drill-*.pdf")
    assert report.read_bytes().startswith(b"%PDF") and str(drill.pk) in report.name


@pytest.mark.parametrize("exercise", [False, True])
def test_a_warning_in_force_is_public_unless_it_is_a_drill(settings, exercise):
    from django.test import Client

    from citywatch.response.simulation import Run

    settings.CITYWATCH_MQTT_URL = ""
    run = Run(exercise=exercise, auto=True, pause=0, deliver=False, out=lambda text: None)
    run.propose_warning("yellow", 8)
    warning = run.issue_warning()
    run.start_response()
    public = Client().get("/public/warnings.json")
    assert public.status_code == 200
    shown = warning.headline in public.content.decode()
    assert shown is not exercise
    feed = Client().get("/cap/feed.atom").content.decode()
    assert (warning.headline in feed) is not exercise
