"""``citywatch bench nearby --quick``: the JSON lines have the agreed shape and match their baselines.

Only the shape and the correctness flags are checked here; the speed figures are in docs/performance.md.
"""

from __future__ import annotations

import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command

REQUIRED = {"name", "value", "unit", "baseline", "baseline_value", "ratio"}


def _bench_command():
    if "citywatch.geo" in settings.INSTALLED_APPS:
        return "bench"  # the `citywatch bench` verb itself
    from citywatch.geo.management.commands.bench import Command

    return Command()


def test_bench_nearby_quick_prints_one_json_line_per_figure():
    out = io.StringIO()
    call_command(_bench_command(), "nearby", "--quick", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    by_name = {line["name"]: line for line in lines}
    assert {
        "nearest_20_by_travel_time",
        "nearest_20_straight_line",
        "population_within_5km",
        "osm_import",
    } <= set(by_name)
    for line in lines:
        assert set(line) >= REQUIRED, line
        assert isinstance(line["value"], float) and line["value"] > 0
        assert isinstance(line["unit"], str) and isinstance(line["baseline"], str)
        assert line["baseline_value"] > 0
        assert line["ratio"] == pytest.approx(line["value"] / line["baseline_value"], rel=1e-3, abs=0.01)
    travel = by_name["nearest_20_by_travel_time"]
    assert travel["identical"] is True and travel["unit"] == "queries/s"
    assert by_name["nearest_20_straight_line"]["identical"] is True
    assert by_name["population_within_5km"]["identical"] is True
    assert by_name["osm_import"]["unit"] == "nodes/s"
