"""The ingestion function: each bad reading refused with its reason and the rest kept, one transaction,
idempotence (hypothesis), explicit corrections with their history, feeds limited to their source."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citywatch.monitoring.actions.ingest import Batch, ingest
from tests.monitoring.conftest import T0, at, iso, reading

pytestmark = pytest.mark.django_db
NOW = T0 + dt.timedelta(hours=2)


def stored(stations=None):
    from citywatch.monitoring.models import Observation

    qs = Observation.objects.all()
    if stations is not None:
        qs = qs.filter(station__in=stations)
    return sorted(
        (o.station.external_id, o.variable.code, o.time, o.value)
        for o in qs.select_related("station", "variable")
    )


def test_bad_readings_are_refused_with_their_reason_and_the_rest_kept(network):
    rows = [
        reading("t-siming-0", 0, 1.5),  # 0 good
        reading("t-nowhere", 0, 1.0),  # 1 unknown station
        reading("t-siming-0", 5, 1.0, variable="snow"),  # 2 unknown variable
        reading("t-siming-0", 10, 501.0),  # 3 outside 0…500 mm
        reading("t-siming-0", 15, float("nan")),  # 4 NaN
        reading("t-siming-0", 20, "lots"),  # 5 not a number
        {
            "station": "t-siming-0",
            "variable": "rain",
            "time": "2024-06-01T08:00:00",
            "value": 1,
        },  # 6 no offset
        {"station": "t-siming-0", "variable": "rain", "time": "1969-12-31T23:59:59Z", "value": 1},  # 7 < 1970
        reading("t-siming-0", 11 + 120, 1.0),  # 8 eleven minutes after "now"
        reading("t-siming-1", 0, 2.5),  # 9 good
        "not an object",  # 10
        reading("t-siming-0", 25, True),  # 11 a boolean is not a number
    ]
    result = ingest(Batch.from_records(rows), now=NOW)
    reasons = {r.index: r.reason for r in result.rejected}
    assert result.accepted == 2 and result.duplicates == 0
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]
    assert "t-nowhere" in reasons[1]
    assert "snow" in reasons[2]
    assert "501" in reasons[3] and "500" in reasons[3]
    assert "NaN" in reasons[4] and "number" in reasons[5] and "offset" in reasons[6]
    assert "1970" in reasons[7] and "future" in reasons[8] and "number" in reasons[11]
    assert stored() == [
        ("t-siming-0", "rain", at(0), 1.5),
        ("t-siming-1", "rain", at(0), 2.5),
    ]


def test_a_value_out_of_range_names_the_variable_in_the_readers_language_with_unit_and_range(network):
    from django.utils import translation

    row = reading("t-siming-0", 0, 3500.0, variable="water_level")  # valid -100 … 3000 m
    with translation.override("zh-hans"):
        (zh,) = ingest(Batch.from_records([row]), now=NOW).rejected
    (en,) = ingest(Batch.from_records([row]), now=NOW).rejected
    assert zh.reason == "3500 m 超出水位的有效范围（-100 至 3000 m）"
    assert en.reason == "3500 m is outside the valid range of Water level (-100 to 3000 m)"
    assert "water_level" not in zh.reason + en.reason
    assert stored() == []


def test_the_same_reading_twice_is_stored_once_and_a_different_value_needs_a_correction(network):
    from citywatch.monitoring.models import ObservationCorrection

    first = ingest(
        Batch.from_records([reading("t-siming-0", 0, 1.0), reading("t-siming-0", 5, 2.0)]), now=NOW
    )
    assert (first.accepted, first.duplicates) == (2, 0)
    again = ingest(
        Batch.from_records([reading("t-siming-0", 0, 1.0), reading("t-siming-0", 5, 2.5)]), now=NOW
    )
    assert (again.accepted, again.duplicates, again.corrected) == (0, 1, 0)
    assert [r.index for r in again.rejected] == [1] and "correction" in again.rejected[0].reason
    fixed = ingest(
        Batch.from_records([reading("t-siming-0", 5, 2.5, correction=True)]), now=NOW, reason="calibrated"
    )
    assert (fixed.accepted, fixed.duplicates, fixed.corrected) == (0, 0, 1)
    assert stored() == [("t-siming-0", "rain", at(0), 1.0), ("t-siming-0", "rain", at(5), 2.5)]
    (history,) = ObservationCorrection.objects.all()
    assert (history.old_value, history.new_value, history.reason) == (2.0, 2.5, "calibrated")
    # within one batch the first reading of a key wins
    inner = ingest(Batch.from_records([reading("t-siming-1", 0, 3.0), reading("t-siming-1", 0, 3.0),
                                       reading("t-siming-1", 0, 4.0)]), now=NOW)  # fmt: skip
    assert (inner.accepted, inner.duplicates, [r.index for r in inner.rejected]) == (1, 1, [2])


def test_a_feed_writes_only_its_own_sources_stations(network):
    result = ingest(
        Batch.from_records([reading("t-siming-0", 0, 1.0), reading("t-huli-0", 0, 1.0)]),
        user=network["feed"],
        now=NOW,
    )
    assert result.accepted == 1
    (refused,) = result.rejected
    assert refused.index == 1 and "t-huli-0" in refused.reason
    assert stored() == [("t-siming-0", "rain", at(0), 1.0)]


def test_a_district_officer_writes_only_in_the_district(network, user):
    result = ingest(
        Batch.from_records([reading("t-siming-0", 0, 1.0), reading("t-huli-0", 0, 1.0)]),
        user=user("siming_officer"),
        now=NOW,
    )
    assert result.accepted == 1 and [r.index for r in result.rejected] == [1]
    assert "t-huli-0" in result.rejected[0].reason


def test_last_seen_moves_forward_only(network):
    from citywatch.monitoring.models import Station

    ingest(Batch.from_records([reading("t-siming-0", 30, 1.0)]), now=NOW)
    ingest(Batch.from_records([reading("t-siming-0", 10, 1.0)]), now=NOW)
    assert Station.objects.get(external_id="t-siming-0").last_seen_at == at(30)


class Rollback(Exception):
    pass


readings = st.lists(
    st.fixed_dictionaries(
        {
            "station": st.sampled_from(["t-siming-0", "t-siming-1", "t-huli-2", "t-unknown"]),
            "variable": st.sampled_from(["rain", "rain", "temperature", "gas", "nope"]),
            "minute": st.integers(min_value=-5, max_value=140),
            "value": st.one_of(
                st.floats(min_value=-60, max_value=600, allow_nan=False).map(lambda v: round(v, 1)),
                st.just(float("nan")),
                st.sampled_from(["1.5", "x", None]),
            ),
        }
    ),
    max_size=40,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=readings)
def test_any_batch_stores_exactly_the_accepted_readings_and_twice_changes_nothing(network, batch):
    records = [
        {
            "station": r["station"],
            "variable": r["variable"],
            "time": iso(at(r["minute"])),
            "value": r["value"],
        }
        for r in batch
    ]
    try:
        with transaction.atomic():
            before = stored()
            result = ingest(Batch.from_records(records), now=NOW)
            after = stored()
            rejected = {r.index for r in result.rejected}
            assert len(rejected) == len(result.rejected)
            kept = {}
            for i, rec in enumerate(records):
                if i in rejected:
                    continue
                key = (rec["station"], rec["variable"], dt.datetime.fromisoformat(rec["time"]))
                kept.setdefault(key, float(rec["value"]))
            assert result.accepted + result.duplicates + len(rejected) == len(records)
            assert len(after) - len(before) == result.accepted == len(kept)
            assert sorted((*k, v) for k, v in kept.items()) == after
            second = ingest(Batch.from_records(records), now=NOW)
            assert second.accepted == 0 and stored() == after
            assert {r.index for r in second.rejected} == rejected
            raise Rollback
    except Rollback:
        pass
