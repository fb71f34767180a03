"""Builders of monitoring objects for tests (ids ``t-…``, so they never meet the demo's)."""

from __future__ import annotations

import datetime as dt
import itertools

from tests.support.places import SIMING, place

_serial = itertools.count(1)


def source_in(code: str = SIMING, *, feed_user=None, interval: int = 5, prefix: str = "t-src"):
    from citywatch.core.models import AdminArea
    from citywatch.monitoring.models import DataSource

    area = AdminArea.objects.get(code=code)
    n = next(_serial)
    return DataSource.objects.create(
        code=f"{prefix}-{code}-{n}", name=f"{area.name}测试数据源{n}", department="测试部门", area=area,
        expected_interval_minutes=interval, feed_user=feed_user,
    )  # fmt: skip


def station_in(code: str = SIMING, *, source=None, kind: str = "rain_gauge", external_id: str | None = None):
    from django.contrib.gis.geos import Point

    from citywatch.core.models import AdminArea
    from citywatch.monitoring.models import Station

    area = AdminArea.objects.get(code=code)
    source = source or source_in(code)
    n = next(_serial)
    lon, lat = place(code)
    return Station.objects.create(
        source=source, external_id=external_id or f"t-st-{n}", name=f"{area.name}测试站{n}", kind=kind,
        location=Point(lon + (n % 10) * 0.0005, lat), area=area,
    )  # fmt: skip


def rain_rule(**extra):
    """3-hour rainfall ≥ 20/30/50/100 mm, margin 5 mm, hold 60 min, on every rain gauge."""
    from citywatch.monitoring.models import Rule, Variable

    fields = {
        "name": "3小时降雨（测试）", "variable": Variable.objects.get(code="rain"), "kind": "window",
        "aggregate": "sum", "window_minutes": 180, "blue": 20, "yellow": 30, "orange": 50, "red": 100,
        "margin": 5, "hold_minutes": 60, "target": "kind", "station_kind": "rain_gauge",
        "hazard": "rainstorm",
    }  # fmt: skip
    fields.update(extra)
    return Rule.objects.create(**fields)


def alarm_in(code: str = SIMING, *, state: str = "open", level: str = "yellow"):
    """A rule alarm at a new station of ``code`` (written directly, as the machine would)."""
    from citywatch.monitoring.models import Alarm

    station = station_in(code)
    rule = rain_rule(area=station.area, target="list")
    rule.stations.set([station])
    return Alarm.objects.create(
        rule=rule, station=station, state=state, level=level, current_level=level, value=42.0,
        reading_time=dt.datetime(2024, 6, 1, tzinfo=dt.UTC),
    )  # fmt: skip
