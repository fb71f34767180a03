"""The monitoring demo: 17 departments' sources, stations of every kind on land inside the real district
boundaries, labelled synthetic, default rules per kind, history; idempotent."""

from __future__ import annotations

import shapely

from citywatch.core.models import AdminArea
from citywatch.demo import monitoring as demo
from citywatch.monitoring.models import DataSource, Observation, Rule, Station
from tests.monitoring.stations_support import small_demo  # noqa: F401


def test_the_demo_spreads_stations_of_every_kind_over_the_districts(small_demo):  # noqa: F811
    assert small_demo["sources"] == 17 == DataSource.objects.filter(synthetic=True).count()
    departments = set(DataSource.objects.values_list("department", flat=True))
    assert len(departments) == 17 and "厦门市气象局" in departments
    stations = list(Station.objects.select_related("area"))
    assert sum(1 for s in stations if s.kind == "rain_gauge") == 20
    kinds = {s.kind for s in stations}
    assert {
        "rain_gauge",
        "river_level",
        "reservoir_level",
        "tide",
        "wind",
        "landslide",
        "gas",
        "weather",
    } <= kinds
    assert all(s.synthetic and s.name.endswith("（演示）") for s in stations)
    districts = {
        a.code: shapely.from_wkb(bytes(a.boundary.wkb)).buffer(0.005)
        for a in AdminArea.objects.filter(level="district", boundary__isnull=False)
    }
    for s in stations:
        district = s.area.path.split(".")[1]
        assert shapely.contains_xy(districts[district], s.location.x, s.location.y), s.name
    assert {s.area.path.split(".")[1] for s in stations if s.kind == "rain_gauge"} == set(districts)
    # Landslide monitors stand near the hill towns.
    assert all(s.name.startswith(demo.HILL_TOWNS) for s in stations if s.kind == "landslide")
    assert Rule.objects.filter(synthetic=True).count() == len(demo.RULES)
    assert Observation.objects.count() == small_demo["readings"] > 24 * len(stations)
    assert all(s.last_seen_at is not None for s in stations)


def test_a_second_load_changes_nothing(small_demo):  # noqa: F811
    readings = Observation.objects.count()
    again = demo.load_monitoring(gauges=20, history_hours=24)
    assert again["stations_created"] == 0 and again["rules_created"] == 0 and again["readings"] == 0
    assert Observation.objects.count() == readings
