"""The ingestion function: validation per reading, one transaction, duplicates, corrections, alarms."""

from __future__ import annotations

import datetime as dt

import pytest

from citywatch.monitoring.actions.ingest import Batch, ingest
from tests.monitoring.conftest import T0, iso

pytestmark = pytest.mark.django_db


def reading(station, minutes, value, variable="rain", **extra):
    return {"station": station, "variable": variable, "time": iso(T0 + dt.timedelta(minutes=minutes)),
            "value": value, **extra}  # fmt: skip


def test_smoke(network):
    from citywatch.monitoring.models import Alarm, Observation

    rows = [reading("t-siming-0", 5 * k, 10.0) for k in range(12)]
    result = ingest(Batch.from_records(rows), now=T0 + dt.timedelta(hours=2))
    assert result.as_dict() == {"accepted": 12, "duplicates": 0, "corrected": 0, "rejected": []}
    assert Observation.objects.count() == 12
    alarm = Alarm.objects.get()
    assert alarm.level == "red"
    again = ingest(Batch.from_records(rows), now=T0 + dt.timedelta(hours=2))
    assert again.as_dict()["duplicates"] == 12
