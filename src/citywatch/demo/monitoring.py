"""The demo city's monitoring hub: 17 departments' feeds, their synthetic stations spread over Xiamen
inside the real district boundaries (on land), default rules per kind, and 7 days of plausible history.

Every station, source and rule is marked ``synthetic`` and named with "（演示）". Deterministic (a fixed
seed) and idempotent: a second load updates nothing and adds no history to a station that has some.
History is hourly (a few tens of thousands of readings) up to the hour of the load, written with bulk
inserts without evaluating the rules (so the past holds no alarm; the rule page's preview shows where the
rules would have fired); from then on the demo's light live feed (``demo.live``, run by ``citywatch demo``)
keeps every station reporting quiet readings, so none goes stale, and ``citywatch simulate rainstorm``
drives a storm through the real ingestion path. The rain gauges report hourly in dry weather (the storm's
readings come every 5 minutes).

Where stations stand: rain gauges on every district's land in proportion to its size (about 200);
river levels along the mainland districts' streams and reservoir levels in the hills north of them;
tide gauges on the coast (the land's edge); wind stations on bridges and at the port; landslide monitors
near the hill towns (莲花镇, 汀溪镇, 五显镇, 灌口镇, 后溪镇, 东孚街道, 新圩镇, 内厝镇, and Siming's hills);
gas detectors beside the demo's facilities. Each station's area is the community nearest to it within
the district whose land holds it (as incidents are placed).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

import numpy as np
import shapely
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from citywatch.core.changelog import log_bulk
from citywatch.core.choices import ChangeAction
from citywatch.core.models import AdminArea
from citywatch.demo.resources import SUFFIX, City

SEED = 20230117
CITY_CODE = "350200"

# code, name, department, category, expected interval (minutes), contact
SOURCES = [
    ("qx-rain", "自动雨量站网", "厦门市气象局", "气象", 60, "市气象台 0592-0000001"),
    ("sl-level", "河道与水库水位监测", "厦门市水利局", "水利", 5, "市水文站 0592-0000002"),
    ("hy-tide", "潮位观测", "厦门市海洋发展局", "海洋", 10, "市海洋预报台 0592-0000003"),
    ("zr-geo", "地质灾害专业监测", "厦门市自然资源和规划局", "地质", 10, "地环站 0592-0000004"),
    ("sz-gas", "燃气管网监测", "厦门市市政园林局", "城市生命线", 5, "燃气监管科 0592-0000005"),
    ("yj-chem", "危化企业可燃气体监测", "厦门市应急管理局", "安全生产", 5, "危化处 0592-0000006"),
    ("hs-wind", "港区风况", "厦门海事局", "海事", 10, "海事监管中心 0592-0000007"),
    ("jt-bridge", "桥隧气象", "厦门市交通运输局", "交通", 10, "路网中心 0592-0000008"),
    ("cg-flood", "城市内涝积水监测", "厦门市城市管理局", "城市管理", 5, "市政设施科 0592-0000009"),
    ("dz-gnss", "地壳形变观测", "厦门市地震局", "地震", 60, "监测中心 0592-0000010"),
    ("ly-fire", "森林防火气象站", "厦门市林业局", "林业", 10, "防火办 0592-0000011"),
    ("zj-pit", "深基坑变形监测", "厦门市建设局", "建设", 30, "质安站 0592-0000012"),
    ("hb-air", "环境空气自动站", "厦门市生态环境局", "生态环境", 60, "监测站 0592-0000013"),
    ("ny-agri", "农业气象观测", "厦门市农业农村局", "农业", 60, "农技站 0592-0000014"),
    ("jj-road", "道路积水监测", "厦门市公安局交通警察支队", "交通", 5, "指挥中心 0592-0000015"),
    ("xf-gas", "重点单位可燃气体监测", "厦门市消防救援支队", "消防", 5, "防火处 0592-0000016"),
    ("gk-wind", "港口气象", "厦门港口管理局", "港口", 10, "调度中心 0592-0000017"),
]

# What each station kind reports (variable codes of the catalogue).
KIND_VARIABLES = {
    "rain_gauge": ("rain",),
    "river_level": ("water_level",),
    "reservoir_level": ("water_level",),
    "tide": ("tide_level",),
    "wind": ("wind_speed", "wind_gust"),
    "weather": ("temperature", "rain", "wind_speed"),
    "landslide": ("displacement",),
    "gas": ("gas",),
    "other": ("water_level",),
}
OTHER_VARIABLES = {"dz-gnss": ("displacement",), "zj-pit": ("displacement",)}

# The demo rules: name, variable, kind, options, levels (blue, yellow, orange, red), station kind, hazard.
RULES = [
    ("3小时累计雨量", "rain", "window", {"window_minutes": 180, "aggregate": "sum", "op": ">=",
     "margin": 5.0, "hold_minutes": 30}, (20.0, 30.0, 50.0, 100.0), "rain_gauge", "rainstorm"),
    ("1小时雨量", "rain", "window", {"window_minutes": 60, "aggregate": "sum", "op": ">=",
     "margin": 2.0, "hold_minutes": 20}, (None, 20.0, 30.0, 50.0), "rain_gauge", "rainstorm"),
    ("河道水位超警", "water_level", "threshold", {"op": ">=", "margin": 0.1, "hold_minutes": 30},
     (4.5, 5.0, 5.5, 6.0), "river_level", "flood"),
    ("水库水位1小时涨幅", "water_level", "rate", {"window_minutes": 60, "direction": "rise",
     "margin": 0.05, "hold_minutes": 60}, (0.3, 0.5, 0.8, 1.2), "reservoir_level", "flood"),
    ("高潮位", "tide_level", "threshold", {"op": ">=", "margin": 0.1, "hold_minutes": 30},
     (3.2, 3.5, 3.8, 4.2), "tide", "storm_surge"),
    ("阵风", "wind_gust", "threshold", {"op": ">=", "margin": 1.0, "hold_minutes": 30},
     (13.9, 17.2, 24.5, 32.7), "wind", "gale"),
    ("滑坡位移24小时增量", "displacement", "rate", {"window_minutes": 1440, "direction": "rise",
     "margin": 1.0, "hold_minutes": 120}, (5.0, 10.0, 20.0, 40.0), "landslide", "landslide"),
    ("可燃气体浓度", "gas", "threshold", {"op": ">=", "margin": 2.0, "hold_minutes": 10},
     (None, 10.0, 25.0, 50.0), "gas", "gas_leak"),
    ("高温", "temperature", "threshold", {"op": ">=", "margin": 0.5, "hold_minutes": 60},
     (None, 35.0, 37.0, 40.0), "weather", "heat"),
]  # fmt: skip

HILL_TOWNS = ("莲花镇", "汀溪镇", "五显镇", "灌口镇", "后溪镇", "东孚街道", "新圩镇", "内厝镇", "鼓浪屿街道")
BRIDGES = [
    ("厦门大桥", 118.1190, 24.5455),
    ("海沧大桥", 118.0580, 24.4880),
    ("集美大桥", 118.1300, 24.5750),
    ("杏林大桥", 118.0860, 24.5600),
    ("翔安隧道口", 118.2000, 24.5040),
    ("厦漳大桥", 117.9980, 24.4300),
]
PORTS = [
    ("东渡港区", 118.0700, 24.4800),
    ("海沧港区", 118.0300, 24.4600),
    ("嵩屿码头", 118.0450, 24.4450),
    ("刘五店港区", 118.2350, 24.5600),
    ("五通码头", 118.1950, 24.5150),
    ("高崎渔港", 118.1350, 24.5450),
]
HISTORY_HOURS = 7 * 24


@dataclass
class Placed:
    source: str
    kind: str
    external_id: str
    name: str
    x: float
    y: float
    district: str
    elevation_m: float | None = None


def _rng(seed: int, section: int) -> np.random.Generator:
    return np.random.default_rng([seed, 1200 + section])


def _district_name(city: City, code: str) -> str:
    return city.districts[code].name


def _sample(polygon, n: int, rng) -> np.ndarray:
    minx, miny, maxx, maxy = polygon.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        m = max(64, 4 * (n - len(out)))
        xs, ys = rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)
        keep = shapely.contains_xy(polygon, xs, ys)
        out = np.vstack([out, np.column_stack([xs[keep], ys[keep]])])
    return np.round(out[:n], 6)


def _on_land(city: City, x: float, y: float) -> str | None:
    for code, polygon in city.polygons.items():
        if shapely.contains_xy(polygon, x, y):
            return code
    return None


def _near_land(city: City, x: float, y: float, rng, radius=0.01) -> tuple[float, float, str] | None:
    """(x, y) if on land, else the first of a few random points near it that is."""
    candidates = [(x, y)] + [tuple(p) for p in (np.array([x, y]) + rng.uniform(-radius, radius, (30, 2)))]
    for cx, cy in candidates:
        code = _on_land(city, cx, cy)
        if code is not None:
            return round(cx, 6), round(cy, 6), code
    return None


def place_stations(city: City, seed: int = SEED, gauges: int = 200) -> list[Placed]:
    """Where the demo's stations stand (deterministic for a seed)."""
    placed: list[Placed] = []
    codes = sorted(city.polygons)
    areas = np.array([city.polygons[c].area for c in codes])

    # Rain gauges: every district in proportion to its land, at least 6 each.
    rng = _rng(seed, 1)
    share = np.maximum(6, np.round(gauges * areas / areas.sum())).astype(int)
    while share.sum() > gauges:
        share[np.argmax(share)] -= 1
    while share.sum() < gauges:
        share[np.argmax(areas / share)] += 1
    number = 0
    for code, n in zip(codes, share, strict=True):
        for x, y in _sample(city.polygons[code], int(n), rng):
            number += 1
            name = f"{_district_name(city, code)}雨量站{number:03d}"
            placed.append(Placed("qx-rain", "rain_gauge", f"R{number:04d}", name, x, y, code))

    # River levels on the mainland districts, reservoirs in their northern (hill) half.
    rng = _rng(seed, 2)
    mainland = [c for c in codes if c not in ("350203", "350206")]
    for i, code in enumerate(mainland * 5):
        x, y = _sample(city.polygons[code], 1, rng)[0]
        name = f"{_district_name(city, code)}河道水位站{i + 1:02d}"
        placed.append(Placed("sl-level", "river_level", f"H{i + 1:03d}", name, x, y, code))
    for i, code in enumerate(mainland * 3):
        polygon = city.polygons[code]
        minx, miny, maxx, maxy = polygon.bounds
        north = polygon.intersection(shapely.box(minx, (miny + maxy) / 2, maxx, maxy))
        region = north if not north.is_empty and north.area > 0 else polygon
        x, y = _sample(region, 1, rng)[0]
        name = f"{_district_name(city, code)}水库水位站{i + 1:02d}"
        placed.append(Placed("sl-level", "reservoir_level", f"K{i + 1:03d}", name, x, y, code, 40.0))

    # Tide gauges on the coast: points along the land's edge.
    rng = _rng(seed, 3)
    coastal = ["350203", "350206", "350205", "350211", "350213"]
    number = 0
    for code in coastal:
        if code not in city.polygons:
            continue
        polygon = city.polygons[code]
        rings = [p.exterior for p in shapely.get_parts(polygon)]
        ring = max(rings, key=lambda r: r.length)
        for fraction in rng.uniform(0, 1, 2):
            p = ring.interpolate(fraction, normalized=True)
            number += 1
            name = f"{_district_name(city, code)}潮位站{number:02d}"
            placed.append(
                Placed("hy-tide", "tide", f"T{number:02d}", name, round(p.x, 6), round(p.y, 6), code)
            )

    # Wind: bridges (交通) and ports (海事, 港口).
    rng = _rng(seed, 4)
    for source, prefix, sites in (
        ("jt-bridge", "B", BRIDGES),
        ("hs-wind", "W", PORTS[:3]),
        ("gk-wind", "P", PORTS[3:]),
    ):
        for i, (site, x, y) in enumerate(sites):
            where = _near_land(city, x, y, rng)
            if where is None:
                continue
            x, y, code = where
            placed.append(Placed(source, "wind", f"{prefix}{i + 1:02d}", f"{site}风速站", x, y, code))

    # Landslide monitors near the hill towns.
    rng = _rng(seed, 5)
    number = 0
    streets = [s for s in city.all_streets() if s.name in HILL_TOWNS or s.name.startswith(HILL_TOWNS)]
    for street in streets:
        for _k in range(4):
            district = street.path.split(".")[1]
            if district not in city.polygons:
                continue
            point = city.near(street, rng, radius=0.03, district=district)
            number += 1
            name = f"{street.name}滑坡监测点{number:02d}"
            placed.append(Placed("zr-geo", "landslide", f"L{number:03d}", name, point.x, point.y, district))

    # Gas detectors beside the demo's facilities (else on random land).
    rng = _rng(seed, 6)
    from citywatch.resources.models import Facility

    facilities = list(
        Facility.objects.filter(location__isnull=False, synthetic=True).order_by("external_id")[:45]
    )
    for i in range(45):
        source = ("sz-gas", "yj-chem", "xf-gas")[i % 3]
        if i < len(facilities):
            f = facilities[i]
            where = _near_land(
                city, f.location.x + rng.uniform(-4e-4, 4e-4), f.location.y + rng.uniform(-4e-4, 4e-4), rng
            )
            label = f.name.replace(SUFFIX, "")
        else:
            where = None
            label = ""
        if where is None:
            code = codes[i % len(codes)]
            x, y = _sample(city.polygons[code], 1, rng)[0]
            where = (x, y, code)
            label = _district_name(city, code)
        x, y, code = where
        placed.append(Placed(source, "gas", f"G{i + 1:03d}", f"{label}可燃气体探测器", x, y, code))

    # Weather stations (林业, 生态环境, 农业), waterlogging (城管, 交警), deformation (地震, 建设).
    rng = _rng(seed, 7)
    extra = [
        ("ly-fire", "weather", "F", "森林防火气象站", mainland, 8),
        ("hb-air", "weather", "A", "空气自动站", codes, 6),
        ("ny-agri", "weather", "N", "农业气象站", mainland, 6),
        ("cg-flood", "other", "J", "内涝积水监测点", codes, 12),
        ("jj-road", "other", "D", "下穿通道积水监测点", codes, 6),
        ("dz-gnss", "other", "S", "GNSS形变观测站", codes, 4),
        ("zj-pit", "other", "Z", "深基坑位移监测点", ["350203", "350206", "350211"], 8),
    ]
    for source, kind, prefix, label, where_codes, n in extra:
        for i in range(n):
            code = where_codes[i % len(where_codes)]
            x, y = _sample(city.polygons[code], 1, rng)[0]
            name = f"{_district_name(city, code)}{label}{i + 1:02d}"
            placed.append(Placed(source, kind, f"{prefix}{i + 1:03d}", name, x, y, code))
    return placed


def _areas_for(city: City, placed: list[Placed]) -> list[AdminArea]:
    """The nearest community (else street, else the district) within each station's district."""
    out = []
    cache: dict[str, tuple[list[AdminArea], np.ndarray]] = {}
    for p in placed:
        if p.district not in cache:
            candidates = [c for c in city.district_communities(p.district) if c.point is not None] or [
                s for s in city.streets.get(p.district, []) if s.point is not None
            ]
            xy = np.array([[c.point.x, c.point.y] for c in candidates]) if candidates else np.empty((0, 2))
            cache[p.district] = (candidates, xy)
        candidates, xy = cache[p.district]
        if not candidates:
            out.append(city.districts[p.district])
            continue
        coslat = math.cos(math.radians(p.y))
        d = ((xy[:, 0] - p.x) * coslat) ** 2 + (xy[:, 1] - p.y) ** 2
        out.append(candidates[int(np.argmin(d))])
    return out


# --- Writing --------------------------------------------------------------------------------------


def _sources(city_area: AdminArea) -> dict:
    from citywatch.monitoring.models import DataSource

    existing = {s.code: s for s in DataSource.objects.filter(code__in=[s[0] for s in SOURCES])}
    created = []
    for code, name, department, category, interval, contact in SOURCES:
        if code in existing:
            continue
        source = DataSource(
            code=code,
            name=f"{department}·{name}{SUFFIX}",
            department=department,
            category=category,
            contact=contact,
            expected_interval_minutes=interval,
            area=city_area,
            synthetic=True,
        )
        created.append(source)
    if created:
        DataSource.objects.bulk_create(created)
        created = list(DataSource.objects.filter(code__in=[s.code for s in created]))
        log_bulk(created, ChangeAction.CREATE)
        existing.update((s.code, s) for s in created)
    return existing


def _stations(city: City, placed: list[Placed], sources: dict) -> tuple[list, int]:
    from citywatch.monitoring.models import Station

    existing = {
        (s.source_id, s.external_id): s
        for s in Station.objects.filter(source__in=list(sources.values())).defer("location")
    }
    areas = _areas_for(city, placed)
    new = []
    for p, area in zip(placed, areas, strict=True):
        source = sources[p.source]
        if (source.pk, p.external_id) in existing:
            continue
        new.append(
            Station(
                source=source,
                external_id=p.external_id,
                name=f"{p.name}{SUFFIX}",
                kind=p.kind,
                location=Point(p.x, p.y, srid=4326),
                area=area,
                elevation_m=p.elevation_m,
                synthetic=True,
            )
        )
    if new:
        Station.objects.bulk_create(new, batch_size=500)
        if any(s.pk is None for s in new):
            keys = {(s.source_id, s.external_id) for s in new}
            new = [
                s
                for s in Station.objects.filter(source__in=list(sources.values()))
                if (s.source_id, s.external_id) in keys
            ]
        log_bulk(new, ChangeAction.CREATE)
    stations = list(Station.objects.filter(source__in=list(sources.values())).select_related("source"))
    return stations, len(new)


def _rules(variables: dict) -> int:
    from citywatch.monitoring.models import Rule

    have = set(Rule.objects.filter(synthetic=True).values_list("name", flat=True))
    made = 0
    for name, variable, kind, options, levels, station_kind, hazard in RULES:
        full = f"{name}{SUFFIX}"
        if full in have or variable not in variables:
            continue
        blue, yellow, orange, red = levels
        Rule.objects.create(
            name=full,
            variable=variables[variable],
            kind=kind,
            blue=blue,
            yellow=yellow,
            orange=orange,
            red=red,
            target="kind",
            station_kind=station_kind,
            hazard=hazard,
            synthetic=True,
            **options,
        )
        made += 1
    return made


def _variables_of(station) -> tuple[str, ...]:
    return OTHER_VARIABLES.get(station.source.code, KIND_VARIABLES.get(station.kind, ()))


def history_values(stations, variable: str, hours: np.ndarray, rng) -> np.ndarray:
    """Plausible values of ``variable`` at ``hours`` (hours since the history's start, float) for each of
    ``stations``: an (n stations × n hours) array."""
    n, t = len(stations), hours[None, :]
    x = np.array([s.location.x for s in stations])[:, None]
    y = np.array([s.location.y for s in stations])[:, None]
    if variable == "rain":
        # Two passing rain events: a moderate one 5 days ago from the south-west, a light one 2 days ago.
        total = np.zeros((n, len(hours)))
        for centre_h, width_h, peak, (cx, cy), speed in (
            (48.0, 5.0, 9.0, (118.00, 24.45), 0.02),
            (120.0, 3.0, 3.0, (118.15, 24.60), 0.015),
        ):
            # The rain band moves north-east: a station's peak comes when the band reaches it.
            distance = np.hypot(x - cx, y - cy)
            arrival = centre_h + distance / speed
            intensity = peak * np.exp(-(((t - arrival) / width_h) ** 2)) * (0.6 + 0.8 * rng.random((n, 1)))
            total += intensity
        total = np.where(total < 0.2, 0.0, total)
        return np.round(total, 1)
    if variable == "water_level":
        kinds = np.array([s.kind for s in stations])[:, None]
        base = np.where(
            kinds == "reservoir_level", 30 + 30 * rng.random((n, 1)), 1.2 + 2.0 * rng.random((n, 1))
        )
        base = np.where(kinds == "other", 0.0, base)
        response = 0.4 * np.exp(-(((t - 56.0) / 10.0) ** 2)) + 0.1 * np.exp(-(((t - 126.0) / 8.0) ** 2))
        scale = np.where(kinds == "other", 0.05, 1.0)
        noise = 0.01 * rng.standard_normal((n, len(hours)))
        return np.round(np.maximum(0.0, base + scale * response + np.where(kinds == "other", 0, noise)), 2)
    if variable == "tide_level":
        phase = 0.2 * rng.random((n, 1))
        value = 2.1 * np.sin(2 * np.pi * (t / 12.42 + phase)) + 0.3 * np.sin(2 * np.pi * t / 24.0) + 0.3
        return np.round(value, 2)
    if variable in ("wind_speed", "wind_gust"):
        daily = 1.5 * np.sin(2 * np.pi * (t - 8) / 24.0)
        speed = np.maximum(0.3, 4.0 + daily + 1.2 * rng.standard_normal((n, len(hours))))
        return np.round(speed * (1.6 if variable == "wind_gust" else 1.0), 1)
    if variable == "temperature":
        value = 16.0 + 4.0 * np.sin(2 * np.pi * (t - 9) / 24.0) + 0.4 * rng.standard_normal((n, len(hours)))
        return np.round(value, 1)
    if variable == "displacement":
        creep = (0.005 + 0.02 * rng.random((n, 1))) * t
        return np.round(creep + 0.1 * rng.standard_normal((n, len(hours))), 1)
    if variable == "gas":
        return np.round(np.maximum(0.0, 0.5 + 0.4 * rng.standard_normal((n, len(hours)))), 1)
    return np.zeros((n, len(hours)))


def _history(stations, variables: dict, now: datetime.datetime, hours: int, seed: int) -> int:
    """Hourly readings for the ``hours`` before ``now`` of every station without any reading yet, written
    through the ingestion function in batches (its bulk path: ``COPY`` on PostgreSQL, ``executemany`` on
    SQLite) without evaluating the rules."""
    from citywatch.monitoring.actions.ingest import Batch, ingest
    from citywatch.monitoring.models import Observation

    have = set(
        Observation.objects.filter(station__in=[s.pk for s in stations])
        .values_list("station_id", flat=True)
        .distinct()
    )
    todo = [s for s in stations if s.pk not in have]
    if not todo or hours <= 0:
        return 0
    end = int(now.replace(minute=0, second=0, microsecond=0).timestamp())
    epochs = end - 3600 * np.arange(hours - 1, -1, -1, dtype=np.int64)
    offsets = np.arange(hours, dtype=float)
    rng = _rng(seed, 20)
    by_variable: dict[str, list] = {}
    for s in todo:
        for code in _variables_of(s):
            if code in variables:
                by_variable.setdefault(code, []).append(s)
    written = 0
    per_batch = max(1, 40_000 // hours)  # stations per batch, within the ingestion's batch limit
    for code in sorted(by_variable):
        group = by_variable[code]
        variable = variables[code]
        values = np.clip(history_values(group, code, offsets, rng), variable.valid_min, variable.valid_max)
        for start in range(0, len(group), per_batch):
            part = group[start : start + per_batch]
            block = values[start : start + per_batch]
            stamps = epochs
            batch = Batch.from_columns(
                [s.external_id for s in part for _t in stamps],
                code,
                np.tile(stamps, len(part)),
                block.reshape(-1),
                source=[s.source.code for s in part for _t in stamps],
            )
            result = ingest(batch, evaluate=False, now=now)
            written += result.accepted
    return written


@transaction.atomic
def load_monitoring(
    seed: int = SEED, *, gauges: int = 200, history_hours: int = HISTORY_HOURS, now=None
) -> dict:
    """Create the demo's sources, stations, rules and history (what is missing of them); the counts."""
    from citywatch.monitoring.models import Variable

    city = City.load()
    if city is None or not city.districts:
        return {}
    city_area = AdminArea.objects.get(code=CITY_CODE)
    variables = {v.code: v for v in Variable.objects.all()}
    sources = _sources(city_area)
    placed = place_stations(city, seed, gauges)
    stations, created = _stations(city, placed, sources)
    rules = _rules(variables)
    readings = _history(stations, variables, now or timezone.now(), history_hours, seed)
    return {
        "sources": len(sources),
        "stations": len(stations),
        "stations_created": created,
        "rain_gauges": sum(1 for s in stations if s.kind == "rain_gauge"),
        "rules_created": rules,
        "readings": readings,
    }
