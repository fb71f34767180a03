"""benchmarks/rules.py --quick: the JSON lines have the house shape and the engine matches its baselines.

Only the shape and the correctness flags are checked here; the speed figures are in docs/performance.md.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from django.conf import settings

REQUIRED = {"name", "value", "unit", "baseline", "baseline_value", "ratio", "identical", "params"}


def _load_rules_benchmark():
    path = Path(settings.BASE_DIR) / "benchmarks" / "rules.py"
    spec = importlib.util.spec_from_file_location("citywatch_benchmarks_rules", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rules_benchmark_quick_lines_and_identical_results():
    lines = _load_rules_benchmark().run_rules_benchmark(quick=True)
    assert [line["name"] for line in lines] == [
        "rules_3h_rain_sum",
        "rules_3h_rain_sum_vs_running_sum_loop",
        "rules_replay",
    ]
    for line in lines:
        assert set(line) >= REQUIRED, line
        json.dumps(line)  # JSON-ready
        assert line["unit"] == "readings/s" and line["value"] > 0 and line["baseline_value"] > 0
        assert line["ratio"] == pytest.approx(line["value"] / line["baseline_value"], rel=1e-3, abs=0.01)
        assert line["identical"] is True, line["name"]
    batch = lines[0]["params"]
    assert batch["readings"] == 20_000 and batch["alarm_transitions"] > 0
    assert sum(batch["evaluations_by_level"][1:]) > 0  # the synthetic storms reach the levels
    assert lines[2]["params"]["alarms"] > 0
