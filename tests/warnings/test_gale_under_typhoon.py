"""One wind, one proposal: while a typhoon signal holds for a district, the gale proposal of that district
is subsumed (CMA Order No. 16: the gale signal is 大风（除台风外）, wind other than a typhoon's) — not
proposed, and one already open lapses, its history naming the typhoon. A district the typhoon signal does
not reach keeps its gale proposal; without a typhoon context the gale is proposed as before."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from citywatch.core.models import AdminArea, User
from citywatch.monitoring.actions.ingest import ingest_records
from citywatch.monitoring.models import DataSource, Station
from citywatch.warnings import actions, signals
from citywatch.warnings.choices import ProposalStatus
from citywatch.warnings.models import Proposal
from tests.support.places import SIMING, TONGAN, place


@pytest.fixture
def winds(db):
    source = DataSource.objects.create(
        code="test-wind", name="测试测风", department="测试", area=AdminArea.objects.get(code="350200")
    )
    for code, external_id in ((TONGAN, "W1"), (SIMING, "W2")):
        lon, lat = place(code)
        Station.objects.create(
            source=source,
            external_id=external_id,
            name=f"测试测风站{external_id}",
            kind="wind",
            location=Point(lon, lat),
            area=AdminArea.objects.get(code=code),
        )


def gusts(now, values):
    records = [
        {
            "station": station,
            "variable": "wind_gust",
            "time": (now - datetime.timedelta(minutes=10 * k)).isoformat(),
            "value": value,
        }
        for station, value in values.items()
        for k in range(3)
    ]
    result = ingest_records(records, source_code="test-wind", now=now)
    assert not result.rejected, result.rejected


def current(hazard, code):
    return Proposal.objects.filter(hazard__code=hazard, area__code=code).order_by("-id").first()


def typhoon_warning():
    commander = User.objects.get(username="commander")
    warning = actions.draft_warning(
        commander,
        actions.WarningInput(
            hazard="typhoon",
            level="blue",
            area_codes=[TONGAN, SIMING],
            expires=timezone.now() + datetime.timedelta(hours=12),
        ),
    )
    actions.issue(commander, warning)


@pytest.mark.django_db
def test_the_typhoon_signal_subsumes_the_gale_of_its_districts(winds):
    now = timezone.now().replace(microsecond=0)
    # 同安: gusts of 25 m/s (force 10): gale yellow; 思明: 15 m/s (force 7): gale blue
    gusts(now, {"W1": 25.0, "W2": 15.0})
    actions.compute_proposals(now=now)
    gale = current("gale", TONGAN)
    assert (gale.level, gale.status) == ("yellow", ProposalStatus.OPEN)
    assert current("gale", SIMING).level == "blue"
    assert current("typhoon", TONGAN) is None  # no typhoon context yet

    typhoon_warning()  # the observatory's typhoon warning: the typhoon context
    # the worker's minute, once the batch's hold is over
    actions.compute_proposals(now=timezone.now() + actions.proposals.BATCH_HOLD)
    typhoon = current("typhoon", TONGAN)
    assert (typhoon.level, typhoon.status) == ("yellow", ProposalStatus.OPEN)  # gust ≥ force 10
    gale.refresh_from_db()
    assert gale.status == ProposalStatus.LAPSED
    assert gale.history[-1]["event"] == "subsumed" and gale.history[-1]["by"] == "typhoon"
    # 思明's force-7 gusts reach no typhoon level: its gale proposal stays
    assert current("typhoon", SIMING) is None
    assert (current("gale", SIMING).level, current("gale", SIMING).status) == ("blue", ProposalStatus.OPEN)

    # the next batch (through the after-batch hook) proposes no gale for 同安 again
    gusts(now + datetime.timedelta(minutes=30), {"W1": 29.0, "W2": 15.0})
    assert current("gale", TONGAN).pk == gale.pk and current("gale", TONGAN).status == ProposalStatus.LAPSED
    assert current("typhoon", TONGAN).level == "yellow"
    from tests.support.personas import client_for

    listed = client_for("duty_officer").get("/api/v1/warnings/proposals").json()["items"]
    assert sorted((i["hazard"], i["area_code"]) for i in listed) == [("gale", SIMING), ("typhoon", TONGAN)]


def test_without_subsumed_keeps_the_areas_the_typhoon_does_not_reach():
    import numpy as np

    from citywatch.monitoring.evaluation import Readings

    t = 1_700_000_000
    gust = Readings(np.array([0, 1]), np.array([t, t]), np.array([25.0, 15.0]))
    empty = Readings(np.array([], int), np.array([], int), np.array([]))
    area_of_station = np.array([0, 1])
    gale = signals.gale_signals(empty, gust, area_of_station)
    typhoon = signals.typhoon_signals(empty, gust, area_of_station, affected=True)
    assert [(s.area, s.level.code) for s in gale] == [(0, "yellow"), (1, "blue")]
    assert [s.area for s in signals.without_subsumed(gale, typhoon)] == [1]
    assert signals.without_subsumed(gale, []) == gale
