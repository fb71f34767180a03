"""The proposals of each ingested batch are computed from accumulations the database sums
(``queries.rain_accumulations``) — and are the same as those computed from every reading of the window:
over a storm that rises to red and falls away, batch by batch (gauges in two districts, one falling silent
and going stale, readings with decimals), each proposal's level, value, triggering readings, newest
reading, status and history match a full recomputation from the same state; the quantisation in SQL
rounds half to even as NumPy does."""

from __future__ import annotations

import datetime
import math

import numpy as np
import pytest
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from citywatch.core.models import AdminArea
from citywatch.monitoring.actions import ingest as ingestion
from citywatch.monitoring.evaluation import quantise
from citywatch.monitoring.models import DataSource, Station
from citywatch.warnings import actions
from citywatch.warnings.models import Proposal
from citywatch.warnings.queries import _quantised_sql
from tests.support.places import SIMING, TONGAN, place

STEP = datetime.timedelta(minutes=10)
GAUGES = {TONGAN: ["T1", "T2", "T3", "T4"], SIMING: ["S1", "S2"]}


@pytest.fixture
def gauges(db):
    source = DataSource.objects.create(
        code="test-storm", name="测试暴雨", department="测试", area=AdminArea.objects.get(code="350200")
    )
    for code, names in GAUGES.items():
        lon, lat = place(code)
        for k, name in enumerate(names):
            Station.objects.create(
                source=source,
                external_id=name,
                name=f"测试雨量站{name}",
                kind="rain_gauge",
                location=Point(lon + 0.001 * k, lat),
                area=AdminArea.objects.get(code=code),
            )


def rain_at(name: str, step: int) -> float | None:
    """A storm: a bell of rain centred on step 50 (of 96), stronger at some gauges; S2 falls silent
    after step 40 (it goes stale); values with one, two or three decimals."""
    if name == "S2" and step > 40:
        return None
    strength = {"T1": 9.0, "T2": 7.3, "T3": 4.1, "T4": 0.9, "S1": 6.2, "S2": 8.8}[name]
    value = strength * math.exp(-(((step - 50) / 14) ** 2))
    return round(value, 1 + step % 3)


def snapshot():
    return sorted(
        (
            p.hazard.code,
            p.area.code,
            p.level,
            p.status,
            p.value,
            p.criterion,
            p.triggers,
            p.observed_at,
            [h["level"] for h in p.history],
        )
        for p in Proposal.objects.select_related("hazard", "area")
    )


def compute(incremental: bool, now, newest):
    batch = {"rainstorm": newest} if newest is not None else None
    return actions.compute_proposals(now, hazards=["rainstorm"], batch_newest=batch, incremental=incremental)


@pytest.mark.django_db
def test_summed_and_full_recomputation_agree_over_a_storm(gauges, monkeypatch):
    monkeypatch.setattr(ingestion, "AFTER_BATCH", [])  # each side computes here, from the same state
    start = timezone.now().replace(microsecond=0) - 96 * STEP
    levels_seen = set()
    for step in range(96):
        at = start + step * STEP
        records = [
            {"station": name, "variable": "rain", "time": at.isoformat(), "value": value}
            for names in GAUGES.values()
            for name in names
            if (value := rain_at(name, step)) is not None
        ]
        assert not ingestion.ingest_records(records, source_code="test-storm", now=timezone.now()).rejected
        # a batch's computation, and every tenth step the worker's minute as well
        for newest in (at, None) if step % 10 == 9 else (at,):
            now = timezone.now() + (actions.proposals.BATCH_HOLD if newest is None else datetime.timedelta())
            with transaction.atomic():
                full_raised = compute(False, now, newest)
                full = snapshot()
                transaction.set_rollback(True)
            summed_raised = compute(True, now, newest)
            assert snapshot() == full, f"step {step}"
            assert summed_raised == full_raised
        levels_seen |= {p[2] for p in snapshot() if p[3] == "open"}
    assert levels_seen == {"blue", "yellow", "orange", "red"}  # the storm went through every level
    tongan = next(p for p in snapshot() if p[1] == TONGAN and p[3] == "open")
    assert "red" in tongan[8] and tongan[8][-1] != "red"  # and fell away again


def test_the_sql_quantisation_rounds_half_to_even_like_numpy(db):
    # values whose millionths are exactly k + ½ in binary, and ordinary ones
    ties = [v for k in range(-40, 40) if (v := (k + 0.5) / 1_000_000) * 1_000_000.0 == k + 0.5]
    values = [*ties, 0.1, 2.35, 49.9, 50.0, 1e-7, 123.4567891]
    assert len(ties) > 10
    expr = _quantised_sql("v")
    placeholder = "%s::double precision" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        got = []
        for value in values:
            cursor.execute(f"SELECT {expr} FROM (SELECT {placeholder} AS v) AS t", [value])  # noqa: S608
            got.append(int(round(float(cursor.fetchone()[0]))))
    assert got == quantise(np.array(values)).tolist()
