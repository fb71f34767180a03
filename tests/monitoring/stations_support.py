"""Helpers of the station registry's tests: a small monitoring demo (the demo's 17 sources, a few rain
gauges and every other kind, a day of history) loaded in the test's transaction."""

from __future__ import annotations

import pytest


@pytest.fixture
def small_demo(db):
    from citywatch.demo.monitoring import load_monitoring

    return load_monitoring(gauges=20, history_hours=24)


def source_in(code: str = "350203", source_code: str = "test-siming"):
    """A data source belonging to the area ``code`` (made through the action)."""
    from citywatch.core.models import AdminArea
    from citywatch.monitoring.actions import sources as actions
    from citywatch.monitoring.models import DataSource

    existing = DataSource.objects.filter(code=source_code).first()
    if existing is not None:
        return existing
    fields = {
        "code": source_code,
        "name": "测试数据源",
        "department": "测试部门",
        "expected_interval_minutes": 5,
        "area": AdminArea.objects.get(code=code),
    }
    return actions.save_source(fields)[0]


def station_in(code: str = "350203", external_id: str = "T-0001", kind: str = "rain_gauge", source=None):
    """A station at the representative point of the area ``code`` (made through the action)."""
    from citywatch.monitoring.actions import stations as actions
    from tests.support.places import place

    source = source or source_in(code)
    lon, lat = place(code)
    data = {"source": source.code, "external_id": external_id, "name": f"测试站 {external_id}", "kind": kind,
            "lon": lon, "lat": lat}  # fmt: skip
    fields, problems = actions.clean_station(data, actions.Context.operator())
    assert not problems, problems
    return actions.save_station(fields)[0]
