"""Each source's refused readings: counted per hour and kind, the last few kept, bounded under a hostile
feed, and shown by the sources API and page in the reader's language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from citywatch.monitoring.actions.ingest import Batch, ingest
from tests.monitoring.conftest import T0, reading

pytestmark = pytest.mark.django_db
NOW = T0 + dt.timedelta(hours=2)


def tallies(source):
    from citywatch.monitoring.models import RejectTally

    return dict(RejectTally.objects.filter(source=source).values_list("kind", "count"))


BAD = [
    reading("t-siming-0", 0, 1.5),  # good
    reading("t-nowhere", 0, 1.0),  # unknown station
    reading("t-siming-0", 5, 1.0, variable="snow"),  # unknown variable
    reading("t-siming-0", 10, 501.0),  # outside 0…500 mm
    reading("t-siming-0", 15, float("nan")),  # not a number
    reading("t-siming-0", 20, "lots"),  # not a number
    {"station": "t-siming-0", "variable": "rain", "time": "2024-06-01T08:00:00", "value": 1},  # no offset
    reading("t-siming-0", 11 + 120, 1.0),  # in the future
    {"station": "t-siming-0", "variable": "rain", "time": "yesterday", "value": 1},  # not a time
    reading("t-huli-0", 0, 1.0),  # another source's station
]
KINDS = {
    "unknown_station": 1, "unknown_variable": 1, "out_of_range": 1, "not_a_number": 2, "bad_time": 2,
    "future_time": 1, "not_allowed": 1,
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_feeds_refused_readings_are_counted_by_kind_in_any_language(network, language):
    with translation.override(language):
        result = ingest(Batch.from_records(BAD), user=network["feed"], now=NOW)
    assert result.accepted == 1 and len(result.rejected) == len(BAD) - 1
    assert tallies(network["siming"]) == KINDS  # the feed's readings are its source's
    assert tallies(network["huli"]) == {}

    ingest(Batch.from_records(BAD[1:3]), user=network["feed"], now=NOW + dt.timedelta(minutes=1))
    assert tallies(network["siming"])["unknown_station"] == 2  # the same hour: one row, counted on


def test_a_refused_reading_without_a_feed_belongs_to_the_source_of_its_station(network):
    batch = [
        reading("t-huli-1", 0, 900.0),  # Huli's station, out of range
        reading("t-siming-2", 0, "x"),  # Siming's, not a number
        reading("t-nowhere", 0, 1.0),  # nobody's: only in the answer
        {**reading("t-siming-1", 0, 1.0, variable="snow"), "source": network["siming"].code},
    ]
    result = ingest(Batch.from_records(batch), now=NOW)
    assert len(result.rejected) == 4
    assert tallies(network["huli"]) == {"out_of_range": 1}
    assert tallies(network["siming"]) == {"not_a_number": 1, "unknown_variable": 1}
    # a batch of one source (an MQTT topic, a pull adapter): every refused reading is that source's
    ingest(Batch.from_records([reading("t-nowhere", 0, 1.0)]), source=network["huli"], now=NOW)
    assert tallies(network["huli"]) == {"out_of_range": 1, "unknown_station": 1}


def test_a_hostile_feed_writes_a_few_rows_not_one_per_reading(network, settings):
    from citywatch.monitoring.models import RecentReject, RejectTally

    settings.CITYWATCH_INGEST_MAX_READINGS = 5000
    junk = [reading(f"t-junk-{i}", 0, 1.0) for i in range(2000)]
    junk += [reading("t-siming-0", i, -float(i + 1)) for i in range(2000)]
    for minute in (0, 1, 2):
        ingest(Batch.from_records(junk), user=network["feed"], now=NOW + dt.timedelta(minutes=minute))
    assert tallies(network["siming"]) == {"unknown_station": 6000, "out_of_range": 6000}
    assert RejectTally.objects.count() == 2
    recent = list(RecentReject.objects.filter(source=network["siming"]).order_by("-at", "-id"))
    assert len(recent) == RecentReject.RECENT_PER_SOURCE
    assert recent[0].station == "t-siming-0" and recent[0].kind == "out_of_range"

    # an hour later: a new row per kind; older than the retention: gone
    later = NOW + dt.timedelta(days=settings.CITYWATCH_REJECT_RETENTION_DAYS, hours=1)
    ingest(Batch.from_records(junk[:1]), user=network["feed"], now=later)
    assert list(RejectTally.objects.values_list("kind", "count")) == [("unknown_station", 1)]


def test_the_sources_api_and_page_show_the_rejects_in_the_readers_language(network, siming):
    from django.conf import settings
    from django.utils import timezone

    ingest(Batch.from_records(BAD), user=network["feed"], now=timezone.now())
    pk = network["siming"].pk
    siming.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    health = siming.get(f"/api/v1/monitoring/sources/{pk}").json()["health"]
    refused = sum(KINDS.values()) - 1  # (2024's "future" reading is in the past now)
    assert health["rejects_last_hour"] == health["rejects_last_day"] == refused
    by_kind = {k["kind"]: (k["label"], k["count"]) for k in health["rejects_by_kind"]}
    assert by_kind["not_a_number"] == ("Not a number", 2)
    assert health["rejects_by_kind"][0]["count"] == 2  # most first
    assert len(health["recent_rejects"]) == 5 and health["recent_rejects"][0]["station"] == "t-huli-0"
    assert health["recent_rejects"][0]["label"] == "Station of another source"

    siming.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    zh = siming.get(f"/api/v1/monitoring/sources/{pk}").json()["health"]
    assert {k["label"] for k in zh["rejects_by_kind"]} >= {"不是数值", "未知站点", "超出有效范围"}

    page = siming.get("/monitoring/sources/").content.decode()
    assert "近一天被拒" in page and "最近被拒的读数" in page and "其他数据源的站点" in page
    assert "Refused" not in page and "Not a number" not in page
