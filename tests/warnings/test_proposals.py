"""Proposals from the monitoring data: a rain gauge in 同安区 fed through the real ingestion path makes
CityWatch propose a rainstorm warning that climbs from blue to orange as the rain grows (one proposal, its
triggering readings named); a commander issues it from the proposal; the same level is never proposed or
issued twice; a dry spell lets an unissued proposal lapse. A feed's batch posted over HTTP proposes at
once (monitoring's after-batch hook), with no computation of the worker's minute."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from citywatch.core.errors import Conflict
from citywatch.core.models import AdminArea, User
from citywatch.monitoring.actions.ingest import ingest_records
from citywatch.monitoring.models import DataSource, Station
from citywatch.notify.models import Message
from citywatch.warnings import actions
from citywatch.warnings.choices import ProposalStatus
from citywatch.warnings.models import Proposal
from tests.support.personas import client_for
from tests.support.places import TONGAN, place


@pytest.fixture
def gauge(db):
    tongan = AdminArea.objects.get(code=TONGAN)
    source = DataSource.objects.create(
        code="test-rain", name="测试雨量", department="测试", area=AdminArea.objects.get(code="350200")
    )
    lon, lat = place(TONGAN)
    return Station.objects.create(
        source=source,
        external_id="T1",
        name="测试雨量站",
        kind="rain_gauge",
        location=Point(lon, lat),
        area=tongan,
    )


def rain(gauge, start, amounts_per_hour):
    """Hourly readings (the hour's rain, ending at the reading's time), the last one ending at ``start``
    plus len-1 hours."""
    records = [
        {
            "station": gauge.external_id,
            "variable": "rain",
            "time": (start + datetime.timedelta(hours=i)).isoformat(),
            "value": amount,
        }
        for i, amount in enumerate(amounts_per_hour)
    ]
    # the ingestion's clock at the last reading (the test replays hours ahead of the wall clock)
    last = start + datetime.timedelta(hours=len(amounts_per_hour) - 1)
    result = ingest_records(records, source_code="test-rain", now=max(last, timezone.now()))
    assert not result.rejected, result.rejected


def tongan_rainstorm():
    return Proposal.objects.filter(hazard__code="rainstorm", area__code=TONGAN).exclude(
        status=ProposalStatus.LAPSED
    )


@pytest.mark.django_db
def test_a_storm_climbs_from_blue_to_orange_and_is_issued_once(gauge):
    now = timezone.now().replace(microsecond=0)
    # 12 readings, 5 mm each hour for the first ten (50 mm in 12 h, 30 mm in the last 6 h): blue
    start = now - datetime.timedelta(hours=11)
    rain(gauge, start, [5.0] * 10 + [0.0, 0.0])
    actions.compute_proposals(now=now)
    proposal = tongan_rainstorm().get()
    assert (proposal.level, proposal.status, proposal.unit) == ("blue", ProposalStatus.OPEN, "mm")
    assert proposal.value == pytest.approx(50.0)
    assert {t["station"] for t in proposal.triggers} == {"T1"}
    assert sum(t["value"] for t in proposal.triggers) == pytest.approx(50.0)
    assert Message.objects.filter(kind="warning.proposed").exists()

    # three more hours of 17 mm: 51 mm in the last 3 h → orange, the same proposal
    later = now + datetime.timedelta(hours=3)
    rain(gauge, now + datetime.timedelta(hours=1), [17.0, 17.0, 17.0])
    actions.compute_proposals(now=later)
    same = tongan_rainstorm().get()
    assert same.pk == proposal.pk and same.level == "orange"
    assert [h["level"] for h in same.history] == ["blue", "orange"]

    api = client_for("duty_officer").get("/api/v1/warnings/proposals", {"area": TONGAN}).json()
    item = next(i for i in api["items"] if i["id"] == same.pk)
    assert (item["hazard"], item["level"], item["area_code"]) == ("rainstorm", "orange", TONGAN)
    assert item["triggers"] and item["triggers"][0]["variable"] == "rain"

    commander = client_for("commander")
    drafted = commander.post(
        f"/api/v1/warnings/proposals/{same.pk}/draft", {}, content_type="application/json"
    )
    assert drafted.status_code == 201, drafted.content
    second_draft = actions.draft_from_proposal(User.objects.get(username="commander"), same)
    pk = drafted.json()["id"]
    assert drafted.json()["level"] == "orange" and drafted.json()["proposal"] == same.pk
    issued = commander.post(
        f"/api/v1/warnings/{pk}/transitions", {"action": "issue"}, content_type="application/json"
    )
    assert issued.status_code == 200, issued.content
    same.refresh_from_db()
    assert (same.status, same.issued_level) == (ProposalStatus.ISSUED, "orange")
    # never issued twice for the same level and area
    with pytest.raises(Conflict):
        actions.issue(User.objects.get(username="commander"), second_draft)
    again = commander.post(f"/api/v1/warnings/proposals/{same.pk}/draft", {}, content_type="application/json")
    assert again.status_code == 409
    # the same readings computed again propose nothing new
    count = Message.objects.filter(kind="warning.proposed").count()
    actions.compute_proposals(now=later)
    assert tongan_rainstorm().get().status == ProposalStatus.ISSUED
    assert Message.objects.filter(kind="warning.proposed").count() == count


@pytest.mark.django_db
def test_below_the_threshold_and_a_lapse(gauge):
    now = timezone.now().replace(microsecond=0)
    # 49.9 mm in 12 h: nothing
    rain(gauge, now - datetime.timedelta(hours=9), [4.99] * 10)
    actions.compute_proposals(now=now)
    assert not tongan_rainstorm().filter(triggers__isnull=False).exists() or all(
        "T1" not in {t["station"] for t in p.triggers} for p in tongan_rainstorm()
    )
    # 0.1 mm more reaches 50.0: blue
    rain(gauge, now + datetime.timedelta(hours=1), [0.1])
    actions.compute_proposals(now=now + datetime.timedelta(hours=1))
    proposal = tongan_rainstorm().get()
    assert proposal.level == "blue"
    # 13 dry hours later the 12 h window holds nothing: the unissued proposal lapses
    rain(gauge, now + datetime.timedelta(hours=2), [0.0] * 13)
    actions.compute_proposals(now=now + datetime.timedelta(hours=14))
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.LAPSED


def post_rain(token, gauge, readings):
    body = [
        {"station": gauge.external_id, "variable": "rain", "time": at.isoformat(), "value": value}
        for at, value in readings
    ]
    response = Client().post(
        "/api/v1/observations",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == len(body), response.content


@pytest.mark.django_db
def test_a_feed_batch_proposes_at_once_and_the_next_raises_it(gauge):
    out = io.StringIO()
    call_command("token", "create", "--source", "test-rain", stdout=out, stderr=io.StringIO())
    token = out.getvalue().strip()
    hour = datetime.timedelta(hours=1)
    base = timezone.now().replace(microsecond=0) - 2 * hour
    # ten hours of 6 mm ending two hours ago: 60 mm in 12 h, 36 mm in 6 h → blue, proposed by the batch
    post_rain(token, gauge, [(base - k * hour, 6.0) for k in range(10)])
    proposal = tongan_rainstorm().get()
    assert (proposal.level, proposal.status) == ("blue", ProposalStatus.OPEN)
    assert {t["station"] for t in proposal.triggers} == {"T1"}

    def proposed():
        return sorted(
            Message.objects.filter(kind="warning.proposed", object_id=str(proposal.pk)).values_list(
                "level", flat=True
            )
        )

    assert proposed() == ["blue"]
    # the next two hours bring 25 mm each: 56 mm in the trailing 3 h → orange, the same proposal
    post_rain(token, gauge, [(base + hour, 25.0), (base + 2 * hour, 25.0)])
    proposal.refresh_from_db()
    assert (proposal.level, proposal.status, proposal.value) == ("orange", ProposalStatus.OPEN, 56.0)
    assert [h["level"] for h in proposal.history] == ["blue", "orange"]
    assert proposed() == ["blue", "orange"]
    listed = client_for("duty_officer").get("/api/v1/warnings/proposals", {"area": TONGAN}).json()
    assert [(i["hazard"], i["level"]) for i in listed["items"] if i["area_code"] == TONGAN] == [
        ("rainstorm", "orange")
    ]
    # the same batch again stores nothing new and proposes nothing new
    post_rain_again = Client().post(
        "/api/v1/observations",
        json.dumps([{"station": "T1", "variable": "rain", "time": (base + hour).isoformat(), "value": 25.0}]),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert post_rain_again.json()["duplicates"] == 1
    assert proposed() == ["blue", "orange"]


@pytest.mark.django_db
def test_a_replayed_storm_is_judged_as_of_its_newest_reading(gauge):
    """A feed's backlog (or the demo's replay) six hours old proposes as it stood then: the signals'
    clock is the city's newest reading, not the wall clock; silent for a day and the freshness window, it
    lapses."""
    hour = datetime.timedelta(hours=1)
    end = timezone.now().replace(microsecond=0) - 6 * hour
    records = [
        {"station": "T1", "variable": "rain", "time": (end - k * hour).isoformat(), "value": 6.0}
        for k in range(10)
    ]
    assert not ingest_records(records, source_code="test-rain").rejected  # the wall clock: now
    proposal = tongan_rainstorm().get()
    assert (proposal.level, proposal.status) == ("blue", ProposalStatus.OPEN)
    actions.compute_proposals()  # the worker's minute agrees
    assert tongan_rainstorm().get().level == "blue"
    # nothing newer for a day and the freshness window (3 h): stale
    actions.compute_proposals(now=end + 28 * hour)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.LAPSED


@pytest.mark.django_db
def test_a_late_backlog_never_lowers_a_proposal(gauge):
    """A batch is judged as of its own newest reading; one older than the district's newest (a feed's
    backlog arriving after newer readings) may raise a proposal but never lowers nor lapses it."""
    hour = datetime.timedelta(hours=1)
    now = timezone.now().replace(microsecond=0)

    def send(readings):
        records = [
            {"station": "T1", "variable": "rain", "time": at.isoformat(), "value": value}
            for at, value in readings
        ]
        assert not ingest_records(records, source_code="test-rain").rejected

    # 25 mm in each of the last two hours after eight of 6 mm: 56 mm in 3 h → orange
    send([(now - k * hour, 25.0 if k < 2 else 6.0) for k in range(10)])
    proposal = tongan_rainstorm().get()
    assert (proposal.level, proposal.status) == ("orange", ProposalStatus.OPEN)
    messages = Message.objects.filter(kind="warning.proposed").count()
    # then a backlog of dry hours 20 to 13 h ago: as of its newest reading nothing falls, yet it stays
    send([(now - k * hour, 0.0) for k in range(13, 21)])
    proposal.refresh_from_db()
    assert (proposal.level, proposal.status) == ("orange", ProposalStatus.OPEN)
    assert [h["level"] for h in proposal.history] == ["orange"]
    # a backlog 12 to 10 h ago that reaches red as of its own newest reading (120 mm in 3 h) raises it
    send([(now - k * hour, 40.0) for k in range(10, 13)])
    proposal.refresh_from_db()
    assert [h["level"] for h in proposal.history] == ["orange", "red"]
    assert Message.objects.filter(kind="warning.proposed").count() == messages + 1
    # the worker's minute leaves what the batch just computed alone ...
    actions.compute_proposals()
    assert tongan_rainstorm().get().level == "red"
    # ... and once the hold is over judges as of the city's newest reading: orange again
    actions.compute_proposals(now=timezone.now() + actions.proposals.BATCH_HOLD)
    assert tongan_rainstorm().get().level == "orange"
