"""Monitoring fixtures: a source and stations of the tests' own (ids ``t-…``) in Siming and Huli."""

from __future__ import annotations

import datetime as dt

import pytest

T0 = dt.datetime(2024, 6, 1, 0, 0, tzinfo=dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


@pytest.fixture
def network(db):
    """Two sources (Siming's and Huli's rain gauges), three stations each, a 3-hour rain rule."""
    from django.contrib.gis.geos import Point

    from citywatch.core import actions as core_actions
    from citywatch.core.models import AdminArea
    from citywatch.monitoring.models import DataSource, Rule, Station, Variable
    from tests.support.places import HULI, SIMING, place

    feed, _ = core_actions.save_user(
        username="t-feed-siming",
        role="data_feed",
        jurisdiction=AdminArea.objects.get(code=SIMING),
        must_change_password=False,
    )
    out = {"feed": feed}
    for key, code in (("siming", SIMING), ("huli", HULI)):
        area = AdminArea.objects.get(code=code)
        source = DataSource.objects.create(
            code=f"t-rain-{key}", name=f"{area.name}雨量（测试）", department="气象局", area=area,
            expected_interval_minutes=5, feed_user=feed if key == "siming" else None,
        )  # fmt: skip
        lon, lat = place(code)
        stations = [
            Station.objects.create(
                source=source,
                external_id=f"t-{key}-{i}",
                name=f"{area.name}测试站{i}",
                kind="rain_gauge",
                location=Point(lon + i * 0.001, lat),
                area=area,
            )  # fmt: skip
            for i in range(3)
        ]
        out[key] = source
        out[f"{key}_stations"] = stations
    out["rule"] = Rule.objects.create(
        name="3小时降雨（测试）", variable=Variable.objects.get(code="rain"), kind="window", aggregate="sum",
        window_minutes=180, blue=20, yellow=30, orange=50, red=100, margin=5, hold_minutes=60,
        target="kind", station_kind="rain_gauge", hazard="rainstorm",
    )  # fmt: skip
    return out
