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
