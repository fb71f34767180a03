"""``citywatch bench ingest --quick``: the JSON lines have the house shape and the ingestion stored what the
per-row saves stored; the 3-hour query answers as its baseline does. Speed figures: docs/performance.md."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_bench_ingest_quick():
    path = Path(settings.BASE_DIR) / "benchmarks" / "ingest.py"
    spec = importlib.util.spec_from_file_location("citywatch_benchmarks_ingest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines = list(module.run(quick=True, only=["ingest", "rain_3h_now"]))
    figures = [line for line in lines if line["name"] != "database"]
    assert [line["name"] for line in figures] == ["ingest_rate", "rain_3h_now"]
    for line in figures:
        json.dumps(line)
        assert line["value"] > 0 and line["baseline_value"] > 0 and line["identical"] is True, line
    assert figures[0]["params"]["readings"] == figures[0]["params"]["resend_duplicates"] == 1000
    from citywatch.monitoring.models import Station

    assert not Station.objects.filter(external_id__startswith="bench-").exists()  # rolled back


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgis"), reason="two writers at once: PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_bench_ingest_two_writers_quick():
    """The two writers (``ingest_rate_2_writers``) store every reading once and open the same alarms as one
    writer sending everything, and leave nothing behind."""
    from importlib import import_module

    from django.apps import apps

    from citywatch.demo.loader import load_demo
    from citywatch.monitoring.models import Observation, Station

    import_module("citywatch.monitoring.migrations.0002_variables").seed(apps, None)  # after a flush
    load_demo(with_resources=False, with_geo=False)
    path = Path(settings.BASE_DIR) / "benchmarks" / "ingest.py"
    spec = importlib.util.spec_from_file_location("citywatch_benchmarks_ingest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines = list(module.run(quick=True, only=["ingest"]))
    assert [line["name"] for line in lines] == ["ingest_rate", "ingest_rate_2_writers"]
    single, both = lines
    assert both["identical"] is True and both["params"]["writers"] == 2, both
    assert both["params"]["alarm_transitions"] == single["params"]["alarm_transitions"]
    assert not Station.objects.filter(external_id__startswith="bench-").exists()  # rolled back
    assert not Observation.objects.exists()
