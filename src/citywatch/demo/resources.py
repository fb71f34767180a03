"""Synthetic emergency resources for the demo city, at the seed's counts (DOMAIN.md rows C, D, H, I, J).

Everything is placed at or near the real districts' synthetic street and community points, on the
districts' land (``demo.land``: the boundaries take in their waters); every located record is
``synthetic=True`` and named with the suffix （演示）. The
load is deterministic (one numpy generator per section, derived from the seed) and idempotent: every
record has a stable external id (``demo-…``), a second load compares and writes nothing, and the
initial stock is received once per (depot, item) through the ledger (``receive_stock``).

Writing: the records go through the importers' bulk write, ``resources.actions.save_resources``: new
rows are inserted in bulk (a per-row ``save()`` of the ~7,000 records would double the demo load time)
and change-logged by ``core.changelog.log_created``; records that changed are saved one by one and
logged by the signal, as every write is.

A handful of coverage gaps is left on purpose (``COMMUNITY_GAPS``, ``STREET_GAPS``; ``planned_gaps()``
names them), so the grassroots coverage report has something to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import shapely
from django.contrib.gis.geos import Point
from django.db import transaction
from shapely.ops import nearest_points

from citywatch.core.choices import AreaLevel
from citywatch.core.models import AdminArea
from citywatch.demo.land import district_land
from citywatch.resources import choices as ch
from citywatch.resources.actions import changed_fields, receive_stock, save_resources
from citywatch.resources.kinds import kind_of
from citywatch.resources.models import (
    Depot,
    DutyPerson,
    Expert,
    ExpertCategory,
    Facility,
    MedicalFacility,
    RescueTeam,
    Shelter,
    StockMovement,
    SupplyItem,
)

SEED = 20230117
SUFFIX = "（演示）"
STOCK_REFERENCE = "demo-initial-stock"
CITY_CODE = "350200"

# District codes.
SIMING, HAICANG, HULI, JIMEI, TONGAN, XIANGAN = "350203", "350205", "350206", "350211", "350212", "350213"

# --- Catalogues (real categories, not synthetic) -----------------------------------------------------

EXPERT_CATEGORIES = [
    ("flood_drought", "防汛抗旱"),
    ("forest_fire", "森林防火"),
    ("earthquake_geology", "地震地质"),
    ("hazardous_chemicals", "危险化学品"),
    ("work_safety", "安全生产"),
    ("fire", "消防"),
    ("medical", "医疗卫生"),
    ("meteorology", "气象"),
    ("ocean", "海洋"),
    ("transport", "交通运输"),
    ("construction", "建筑工程"),
    ("power", "电力"),
    ("communications", "通信"),
    ("mining", "矿山"),
    ("environment", "环境保护"),
    ("water_resources", "水利"),
    ("emergency_management", "应急管理"),
    ("psychological", "心理援助"),
    ("legal", "法律"),
    ("special_equipment", "特种设备"),
    ("city_gas", "城市燃气"),
    ("aviation_rescue", "航空救援"),
]

# code, name, category, unit
SUPPLY_ITEMS = [
    ("TENT", "救灾帐篷", ch.SupplyCategory.SHELTER, "顶"),
    ("QUILT", "棉被", ch.SupplyCategory.SHELTER, "床"),
    ("FOLDING_BED", "折叠床", ch.SupplyCategory.SHELTER, "张"),
    ("LIFE_JACKET", "救生衣", ch.SupplyCategory.RESCUE, "件"),
    ("LIFEBUOY", "救生圈", ch.SupplyCategory.RESCUE, "个"),
    ("ASSAULT_BOAT", "冲锋舟", ch.SupplyCategory.RESCUE, "艘"),
    ("PUMP", "抽水泵", ch.SupplyCategory.FLOOD, "台"),
    ("SANDBAG", "编织袋（沙袋）", ch.SupplyCategory.FLOOD, "条"),
    ("GENERATOR", "发电机", ch.SupplyCategory.POWER, "台"),
    ("LIGHT", "照明灯", ch.SupplyCategory.POWER, "盏"),
    ("INSTANT_FOOD", "方便食品", ch.SupplyCategory.FOOD, "箱"),
    ("BOTTLED_WATER", "瓶装水", ch.SupplyCategory.FOOD, "箱"),
    ("FIRST_AID_KIT", "急救包", ch.SupplyCategory.MEDICAL, "个"),
    ("RAINCOAT", "雨衣", ch.SupplyCategory.PROTECTIVE, "件"),
]

# Initial stock per depot kind: item code → (low, high) quantity, drawn per depot.
STOCK_PLAN = {
    ch.DepotKind.CITY: {
        "TENT": (2000, 3000),
        "QUILT": (8000, 12000),
        "FOLDING_BED": (3000, 5000),
        "LIFE_JACKET": (4000, 6000),
        "LIFEBUOY": (800, 1200),
        "ASSAULT_BOAT": (30, 50),
        "PUMP": (150, 250),
        "SANDBAG": (150000, 250000),
        "GENERATOR": (80, 120),
        "LIGHT": (1500, 2500),
        "INSTANT_FOOD": (8000, 12000),
        "BOTTLED_WATER": (10000, 15000),
        "FIRST_AID_KIT": (3000, 5000),
        "RAINCOAT": (5000, 8000),
    },
    ch.DepotKind.DISTRICT: {
        "TENT": (300, 600),
        "QUILT": (1500, 3000),
        "FOLDING_BED": (500, 1000),
        "LIFE_JACKET": (800, 1500),
        "ASSAULT_BOAT": (5, 12),
        "PUMP": (30, 60),
        "SANDBAG": (30000, 60000),
        "GENERATOR": (15, 30),
        "INSTANT_FOOD": (1500, 3000),
        "BOTTLED_WATER": (2000, 4000),
    },
    ch.DepotKind.STREET: {
        "QUILT": (200, 400),
        "LIFE_JACKET": (100, 200),
        "PUMP": (4, 10),
        "SANDBAG": (3000, 6000),
        "LIGHT": (50, 100),
        "INSTANT_FOOD": (200, 400),
    },
}
# A community station holds three of these.
STATION_ITEMS = {
    "LIFE_JACKET": (20, 50),
    "LIGHT": (10, 30),
    "INSTANT_FOOD": (20, 60),
    "BOTTLED_WATER": (30, 80),
    "QUILT": (20, 50),
    "RAINCOAT": (20, 60),
}

# --- Counts (the seed's 2022 figures) ----------------------------------------------------------------

LAND_TEAMS = 508
LAND_TEAM_MEMBERS_MIN = 13_000
# Professional and other non-grassroots land teams: kind → count (members range).
PROFESSIONAL_TEAMS = {
    ch.TeamKind.FIRE_RESCUE: (22, (45, 80)),
    ch.TeamKind.HAZCHEM: (6, (30, 50)),
    ch.TeamKind.WATER_RESCUE: (12, (25, 45)),
    ch.TeamKind.MEDICAL: (10, (30, 60)),
    ch.TeamKind.POWER: (8, (30, 50)),
    ch.TeamKind.COMMUNICATIONS: (6, (20, 40)),
    ch.TeamKind.CONSTRUCTION: (10, (40, 70)),
    ch.TeamKind.ENTERPRISE: (38, (20, 45)),
    # Two quarry mine-rescue teams, so the demo has a team of every kind (the last of the 40 enterprise
    # teams once: the generator's draws are the same in number, so every other record stays as it was).
    ch.TeamKind.MINE: (2, (30, 50)),
}
# The five professional forest fire teams pre-positioned in the high-risk season: 224 people.
FOREST_FIRE_TEAMS = [(TONGAN, 52), (TONGAN, 48), (XIANGAN, 44), (JIMEI, 42), (HAICANG, 38)]
# 13 social rescue forces, 4,000 core members.
SOCIAL_FORCES = [
    ("鹭岛应急救援志愿队", 620),
    ("海湾公益救援队", 540),
    ("同心山地搜救队", 480),
    ("白鹭水上救援队", 410),
    ("筼筜应急志愿服务队", 360),
    ("海沧公益救援协会", 320),
    ("集美学村救援志愿队", 280),
    ("翔安民间救援队", 250),
    ("同安北辰山地救援队", 220),
    ("湖里社区应急志愿队", 180),
    ("嘉庚潜水救援队", 150),
    ("思明红十字救护队", 110),
    ("厦门无线电应急通信队", 80),
]
SHELTER_POINTS = 717
EARTHQUAKE_SHELTERS = 82
LOCAL_EXPERTS = 320
LOCAL_EXPERTS_AT_CITY = 200  # the rest are in district pools
SHARED_EXPERTS = [(ch.HomeCity.QUANZHOU, "泉州市", 40), (ch.HomeCity.ZHANGZHOU, "漳州市", 35)]
FIRE_CHECKPOINTS = {TONGAN: 50, XIANGAN: 38, JIMEI: 18, HAICANG: 14, SIMING: 3}  # 123
FOREST_RANGERS = 1719
EEW_TERMINALS = 1800
# (district, sea point): the centre is placed on the district's coast nearest the sea point.
MARITIME_SAR = [
    (SIMING, "厦门港", (118.085, 24.405)),
    (HAICANG, "海沧", (118.060, 24.430)),
    (HULI, "五通", (118.225, 24.525)),
    (XIANGAN, "大嶝", (118.330, 24.520)),
]
HELIPADS = [(SIMING, "医疗救援"), (JIMEI, "应急救援"), (XIANGAN, "航空应急")]
# Hospitals by level and district (most in 思明/湖里); plus one community health centre per street.
HOSPITALS = {
    ch.MedicalLevel.GRADE_3A: {SIMING: 4, HULI: 2, JIMEI: 1, HAICANG: 1},
    ch.MedicalLevel.GRADE_3: {SIMING: 2, HULI: 2, TONGAN: 1, XIANGAN: 1},
    ch.MedicalLevel.GRADE_2: {SIMING: 3, HULI: 3, JIMEI: 1, HAICANG: 1, TONGAN: 1, XIANGAN: 1},
    ch.MedicalLevel.GRADE_1: {SIMING: 1, HULI: 1, TONGAN: 2, XIANGAN: 2},
}

# --- Deliberate coverage gaps ------------------------------------------------------------------------

# (requirement, district, index of the community in the district's code order). A community without a
# shelter point has no demonstration shelter either.
COMMUNITY_GAPS = [
    ("shelter_point", TONGAN, 100),
    ("shelter_point", XIANGAN, 90),
    ("info_officer", JIMEI, 40),
    ("info_officer", HAICANG, 20),
    ("demo_shelter", SIMING, 60),
    ("supply_station", XIANGAN, 30),
    ("micro_fire_station", TONGAN, 50),
]
# (requirement, district, index of the street in the district's code order): no rescue team anywhere in it.
STREET_GAPS = [("rescue_team", XIANGAN, 8)]  # 内厝镇

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾蔡潘田"
GIVEN = "志建国明华文军平俊杰海燕丽芳秀英伟强磊洋勇敏静晓东玉兰春梅德福永安宏涛斌"


def _rng(seed: int, section: int) -> np.random.Generator:
    return np.random.default_rng([seed, section])


def _short(name: str) -> str:
    """鸿山社区居委会 → 鸿山社区, 渐美村委会 → 渐美村, 后埔村村委会 → 后埔村."""
    suffixes = (("居民委员会", ""), ("居委会", ""), ("村民委员会", "村"), ("村委会", "村"), ("委员会", ""))
    for suffix, keep in suffixes:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return stem if stem.endswith(keep) else stem + keep
    return name


def _person(rng: np.random.Generator) -> str:
    given = "".join(GIVEN[i] for i in rng.integers(0, len(GIVEN), int(rng.integers(1, 3))))
    return SURNAMES[int(rng.integers(0, len(SURNAMES)))] + given


@dataclass
class City:
    """The demo city's areas, loaded once: districts, streets and communities in code order."""

    city: AdminArea
    districts: dict[str, AdminArea]
    streets: dict[str, list[AdminArea]]  # district code → streets
    communities: dict[str, list[AdminArea]]  # street code → communities
    polygons: dict[str, object]

    @classmethod
    def load(cls) -> City | None:
        """None when the demo city's areas are not loaded."""
        areas = list(AdminArea.objects.filter(path__startswith=f"{CITY_CODE}.").order_by("code"))
        by_level: dict[str, list[AdminArea]] = {}
        for area in areas:
            by_level.setdefault(area.level, []).append(area)
        city = next((a for a in areas if a.code == CITY_CODE), None)
        if city is None:
            return None
        districts = {a.code: a for a in by_level.get(AreaLevel.DISTRICT, []) if a.boundary is not None}
        streets: dict[str, list[AdminArea]] = {code: [] for code in districts}
        communities: dict[str, list[AdminArea]] = {}
        for street in by_level.get(AreaLevel.STREET, []):
            if street.parent_id in {d.pk for d in districts.values()}:
                streets[_district_code(street)].append(street)
                communities[street.code] = []
        for community in by_level.get(AreaLevel.COMMUNITY, []):
            parent = community.path.split(".")[-3]
            if parent in communities:
                communities[parent].append(community)
        polygons = {}
        for code, district in districts.items():
            polygons[code] = district_land(shapely.from_wkb(bytes(district.boundary.wkb)))
        return cls(city, districts, streets, communities, polygons)

    def all_streets(self) -> list[AdminArea]:
        return [s for code in sorted(self.streets) for s in self.streets[code]]

    def all_communities(self) -> list[AdminArea]:
        return [c for s in self.all_streets() for c in self.communities[s.code]]

    def district_communities(self, district: str) -> list[AdminArea]:
        return [c for s in self.streets.get(district, []) for c in self.communities[s.code]]

    def anchor(self, area: AdminArea) -> tuple[float, float]:
        """The area's point, else its district's representative point."""
        if area.point is not None:
            return area.point.x, area.point.y
        district = self.polygons[_district_code(area)] if area.level != AreaLevel.CITY else None
        if district is None:
            district = self.polygons[sorted(self.polygons)[0]]
        p = district.representative_point()
        return p.x, p.y

    def near(
        self, area: AdminArea, rng: np.random.Generator, radius: float = 0.003, district: str | None = None
    ) -> Point:
        """A point within ``radius`` degrees of the area's point, on its district's land."""
        x0, y0 = self.anchor(area)
        polygon = self.polygons[district or _district_code(area)]
        offsets = rng.uniform(-radius, radius, (8, 2))
        for dx, dy in offsets:
            x, y = round(x0 + dx, 6), round(y0 + dy, 6)
            if shapely.contains_xy(polygon, x, y):
                return Point(x, y, srid=4326)
        return Point(round(x0, 6), round(y0, 6), srid=4326)


def _district_code(area: AdminArea) -> str:
    codes = [c for c in area.path.split(".") if c]
    return codes[1] if len(codes) > 1 else codes[0]


def planned_gaps(city: City | None = None) -> dict[str, set[str]]:
    """The deliberate gaps: area code → the requirements it does not meet."""
    city = city or City.load()
    gaps: dict[str, set[str]] = {}
    if city is None:
        return gaps
    for requirement, district, index in COMMUNITY_GAPS:
        communities = city.district_communities(district)
        if not communities:
            continue
        code = communities[index % len(communities)].code
        gaps.setdefault(code, set()).add(requirement)
        if requirement == "shelter_point":
            gaps[code].add("demo_shelter")
    for requirement, district, index in STREET_GAPS:
        streets = city.streets.get(district, [])
        if streets:
            gaps.setdefault(streets[index % len(streets)].code, set()).add(requirement)
    return gaps


# --- Writing ---------------------------------------------------------------------------------------


@dataclass
class Spec:
    external_id: str
    fields: dict


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    receipts: int = 0
    objects: dict = field(default_factory=dict)  # external id → saved object


def _upsert(model, specs: list[Spec], tally: Tally, *, keep: tuple[str, ...] = ()) -> None:
    """Create the missing records and update the ones that differ, through the importers' bulk write
    (``actions.save_resources``: new rows inserted in bulk and change-logged, changed ones saved and
    logged by the signal). ``keep``: operational state (status, occupancy, …) set only on creation, so
    a re-load does not undo what happened during a demo."""
    ids = [s.external_id for s in specs]
    existing = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        existing.update({o.external_id: o for o in model.objects.filter(external_id__in=chunk)})
    writes = []
    for spec in specs:
        obj = existing.get(spec.external_id)
        writes.append(({"external_id": spec.external_id, **spec.fields} if obj is None else spec.fields, obj))
    for spec, (obj, outcome) in zip(specs, save_resources(kind_of(model), writes, keep=keep), strict=True):
        setattr(tally, outcome, getattr(tally, outcome) + 1)
        tally.objects[spec.external_id] = obj


def _upsert_catalogue(model, rows: list[dict], tally: Tally) -> dict:
    """Catalogues (expert categories, supply items) are few: create or update through save()."""
    existing = {o.code: o for o in model.objects.filter(code__in=[r["code"] for r in rows])}
    out = {}
    for row in rows:
        obj = existing.get(row["code"])
        if obj is None:
            obj = model(**row)
            obj.save()
            tally.created += 1
        else:
            changed = changed_fields(obj, row)
            if changed:
                for k in changed:
                    setattr(obj, k, row[k])
                obj.save()
                tally.updated += 1
            else:
                tally.unchanged += 1
        out[obj.code] = obj
    return out


# --- The records ----------------------------------------------------------------------------------


def _located(name: str, area: AdminArea, location: Point | None, **fields) -> dict:
    return {"name": f"{name}{SUFFIX}", "area": area, "location": location, "synthetic": True, **fields}


def _gap_sets(city: City):
    gaps = planned_gaps(city)

    def without(requirement):
        return {code for code, reqs in gaps.items() if requirement in reqs}

    return gaps, without


def _team_specs(city: City, seed: int, gap_streets: set[str]) -> tuple[list[Spec], list[Spec]]:
    rng = _rng(seed, 1)
    streets = [s for s in city.all_streets() if s.code not in gap_streets]
    communities = [c for s in streets for c in city.communities[s.code]]
    teams: list[tuple[str, AdminArea, Point, int, int, str]] = []  # kind, area, location, members, core, name
    # Professional forest fire teams in the outer districts.
    for n, (district, members) in enumerate(FOREST_FIRE_TEAMS, 1):
        pool = [s for s in streets if _district_code(s) == district]
        street = pool[int(rng.integers(0, len(pool)))]
        teams.append(
            (
                ch.TeamKind.FOREST_FIRE,
                street,
                city.near(street, rng, 0.01),
                members,
                members // 3,
                f"{city.districts[district].name}森林消防专业队第{n}分队",
            )
        )
    # Other professional, fire and enterprise teams, at streets across the city.
    labels = {
        ch.TeamKind.FIRE_RESCUE: "消防救援站",
        ch.TeamKind.HAZCHEM: "危化品应急救援队",
        ch.TeamKind.WATER_RESCUE: "水上救援队",
        ch.TeamKind.MEDICAL: "医疗应急救援队",
        ch.TeamKind.POWER: "电力抢修队",
        ch.TeamKind.COMMUNICATIONS: "通信保障队",
        ch.TeamKind.CONSTRUCTION: "工程抢险队",
        ch.TeamKind.ENTERPRISE: "企业专职救援队",
        ch.TeamKind.MINE: "矿山救护队",
    }
    for kind, (count, (low, high)) in PROFESSIONAL_TEAMS.items():
        for n in range(1, count + 1):
            street = streets[int(rng.integers(0, len(streets)))]
            members = int(rng.integers(low, high + 1))
            teams.append(
                (
                    kind,
                    street,
                    city.near(street, rng, 0.004),
                    members,
                    members // 4,
                    f"{street.name}{labels[kind]}{n}",
                )
            )
    # Grassroots: one team per street, the rest at communities.
    for street in streets:
        members = int(rng.integers(30, 51))
        teams.append(
            (
                ch.TeamKind.GRASSROOTS,
                street,
                city.near(street, rng, 0.002),
                members,
                members // 3,
                f"{street.name}应急救援队",
            )
        )
    remaining = LAND_TEAMS - len(teams)
    chosen = rng.choice(len(communities), remaining, replace=remaining > len(communities))
    for index in sorted(chosen.tolist()):
        community = communities[index]
        members = int(rng.integers(16, 27))
        location = city.near(community, rng, 0.0015)
        teams.append(
            (
                ch.TeamKind.GRASSROOTS,
                community,
                location,
                members,
                members // 3,
                f"{_short(community.name)}应急分队",
            )
        )
    land = [
        Spec(
            f"demo-team-{n:04d}",
            _located(
                name,
                area,
                location,
                kind=kind,
                members=members,
                core_members=core,
                equipment=_equipment(kind, rng),
                contact_name=f"{_person(rng)}",
                status=ch.TeamStatus.AVAILABLE,
                readiness=ch.Readiness.IMMEDIATE
                if kind != ch.TeamKind.GRASSROOTS
                else ch.Readiness.WITHIN_1H,
            ),
        )
        for n, (kind, area, location, members, core, name) in enumerate(teams, 1)
    ]
    social = []
    for n, (name, core) in enumerate(SOCIAL_FORCES, 1):
        street = streets[int(rng.integers(0, len(streets)))]
        members = core * 2 + int(rng.integers(0, core))
        social.append(
            Spec(
                f"demo-social-{n:02d}",
                _located(
                    name,
                    street,
                    city.near(street, rng, 0.003),
                    kind=ch.TeamKind.SOCIAL,
                    members=members,
                    core_members=core,
                    equipment=_equipment(ch.TeamKind.SOCIAL, rng),
                    contact_name=_person(rng),
                    status=ch.TeamStatus.AVAILABLE,
                    readiness=ch.Readiness.WITHIN_1H,
                ),
            )
        )
    return land, social


EQUIPMENT = {
    ch.TeamKind.MINE: [("正压氧气呼吸器", "具"), ("多种气体检测仪", "台"), ("救援担架", "副")],
    ch.TeamKind.FOREST_FIRE: [("风力灭火机", "台"), ("灭火水枪", "支"), ("油锯", "把")],
    ch.TeamKind.WATER_RESCUE: [("冲锋舟", "艘"), ("救生衣", "件"), ("潜水装具", "套")],
    ch.TeamKind.FIRE_RESCUE: [("消防车", "辆"), ("破拆工具组", "套"), ("空气呼吸器", "具")],
    ch.TeamKind.HAZCHEM: [("防化服", "套"), ("气体检测仪", "台"), ("洗消帐篷", "顶")],
    ch.TeamKind.SOCIAL: [("冲锋舟", "艘"), ("无人机", "架"), ("卫星电话", "部")],
    ch.TeamKind.POWER: [("应急发电车", "辆"), ("照明灯塔", "台")],
    ch.TeamKind.COMMUNICATIONS: [("应急通信车", "辆"), ("卫星电话", "部")],
    ch.TeamKind.CONSTRUCTION: [("挖掘机", "台"), ("装载机", "台")],
    ch.TeamKind.MEDICAL: [("救护车", "辆"), ("急救包", "个")],
}


# Every team has a leader with a login except every 25th community squad (their leader is not on record:
# the registry and the one-map flag them, and a dispatch to one must name who receives it). The demo's
# ``team_leader`` leads the first water-rescue team of 集美区 (the flood scenario of issue 11).
UNLED_EVERY = 25
PERSONA_TEAM = (ch.TeamKind.WATER_RESCUE, "350211")
CITY = "350200"


def _leader_username(external_id: str) -> str:
    return "leader-" + external_id.removeprefix("demo-")


def _team_leaders(specs: list[Spec], tally: Tally) -> int:
    """A team-leader login for the demo's teams (see ``UNLED_EVERY``), made once: users in bulk with the
    demo password (the ``team_leader`` persona's hash), leaders set only where none is on record, so a
    re-load changes nothing and a leader changed during a demo stays. Grassroots leaders work in their
    district; the others city-wide. Returns how many teams got a leader."""
    from django.contrib.auth.models import Group

    from citywatch.core.changelog import log_bulk
    from citywatch.core.choices import ChangeAction, Role
    from citywatch.core.models import User

    persona = User.objects.filter(username="team_leader").first()
    if persona is None:
        return 0
    teams = [tally.objects[s.external_id] for s in specs]
    unled = [t for t in teams if t.leader_id is None]
    if not unled:
        return 0
    areas = {a.code: a for a in AdminArea.objects.filter(level__in=(AreaLevel.CITY, AreaLevel.DISTRICT))}
    wanted: dict = {}  # team pk → leader
    if not RescueTeam.objects.filter(leader=persona).exists():
        kind, district = PERSONA_TEAM
        first = next((t for t in teams if t.kind == kind and f".{district}." in t.area.path), None)
        if first is not None and first.leader_id is None:
            wanted[first.pk] = persona
    community_squads = 0
    new_users, leader_of = [], {}
    existing = set(
        User.objects.filter(username__in=[_leader_username(t.external_id) for t in unled]).values_list(
            "username", flat=True
        )
    )
    for team in teams:
        if team.kind == ch.TeamKind.GRASSROOTS and team.area.level == AreaLevel.COMMUNITY:
            community_squads += 1  # counted over every team, so the same squads stay unled on a re-load
            if community_squads % UNLED_EVERY == 0:
                continue
        if team.leader_id is not None or team.pk in wanted:
            continue
        username = _leader_username(team.external_id)
        leader_of[team.pk] = username
        if username in existing:
            continue
        grassroots = team.kind == ch.TeamKind.GRASSROOTS
        new_users.append(
            User(
                username=username,
                password=persona.password,
                first_name=(f"{team.contact_name}（{team.name.removesuffix('（演示）')}队长）")[:150],
                role=Role.TEAM_LEADER,
                jurisdiction=areas[team.area.path.split(".")[1]] if grassroots else areas[CITY],
                must_change_password=False,
            )
        )
    User.objects.bulk_create(new_users, batch_size=500)
    log_bulk(new_users, ChangeAction.CREATE)
    group = Group.objects.filter(name=Role.TEAM_LEADER).first()
    if group is not None and new_users:
        through = User.groups.through
        links = [through(user_id=u.pk, group_id=group.pk) for u in new_users]
        through.objects.bulk_create(links, batch_size=500)
    users = {u.username: u for u in User.objects.filter(username__in=list(leader_of.values()))}
    wanted.update({pk: users[name] for pk, name in leader_of.items()})
    changed = [t for t in unled if t.pk in wanted]
    for team in changed:
        team.leader = wanted[team.pk]
    RescueTeam.objects.bulk_update(changed, ["leader"], batch_size=500)
    log_bulk(changed, ChangeAction.UPDATE)
    return len(changed)


def _equipment(kind, rng) -> list[dict]:
    items = EQUIPMENT.get(kind, [("抽水泵", "台"), ("照明灯", "盏"), ("救生衣", "件")])
    return [{"name": name, "quantity": int(rng.integers(1, 11)), "unit": unit} for name, unit in items]


FULL_EVERY, CLOSED_EVERY = 9, 13


def _shelter_specs(city: City, seed: int, no_shelter: set[str], no_demo: set[str]) -> list[Spec]:
    rng = _rng(seed, 2)
    specs = []
    communities = city.all_communities()
    with_point = [c for c in communities if c.code not in no_shelter]
    facilities = ch.ShelterFacility.values

    def shelter(community, demonstration):
        capacity = int(rng.integers(10, 81)) * 10
        chosen = sorted(f for f in facilities if rng.random() < 0.6)
        return _located(
            f"{_short(community.name)}避灾点",
            community,
            city.near(community, rng, 0.0015),
            kind=ch.ShelterKind.DISASTER_POINT,
            capacity=capacity,
            usable_area_m2=capacity * 2,
            facilities=chosen,
            demonstration=demonstration,
            status=ch.ShelterStatus.OPEN,
            occupancy=0,
        )

    for n, community in enumerate(with_point):
        fields = shelter(community, community.code not in no_demo)
        # Some points are full and some closed (a typhoon night has both), by position, not by a draw
        # from the generator, so every other value stays as it was.
        if n % FULL_EVERY == FULL_EVERY // 2:
            fields.update(status=ch.ShelterStatus.FULL, occupancy=fields["capacity"])
        elif n % CLOSED_EVERY == CLOSED_EVERY // 2:
            fields.update(status=ch.ShelterStatus.CLOSED)
        specs.append(Spec(f"demo-shelter-{community.code}", fields))
    extra = SHELTER_POINTS - len(specs)
    for n, index in enumerate(sorted(rng.choice(len(with_point), extra, replace=False).tolist()), 1):
        fields = shelter(with_point[index], False)
        fields["name"] = fields["name"].replace("避灾点", "第二避灾点")
        specs.append(Spec(f"demo-shelter-extra-{n:03d}", fields))
    # Earthquake emergency shelters: parks and squares, one per street and the rest where people live.
    streets = city.all_streets()
    weights = np.array([max(1, len(city.communities[s.code])) for s in streets], dtype=float)
    extra_streets = rng.choice(
        len(streets), EARTHQUAKE_SHELTERS - len(streets), replace=False, p=weights / weights.sum()
    )
    placed = list(range(len(streets))) + sorted(extra_streets.tolist())
    for n, index in enumerate(placed, 1):
        street = streets[index]
        capacity = int(rng.integers(20, 201)) * 100
        specs.append(
            Spec(
                f"demo-eq-shelter-{n:02d}",
                _located(
                    f"{street.name}地震应急避难场所{n}",
                    street,
                    city.near(street, rng, 0.004),
                    kind=ch.ShelterKind.EARTHQUAKE,
                    capacity=capacity,
                    usable_area_m2=capacity * 2,
                    facilities=sorted(facilities),
                    demonstration=False,
                    status=ch.ShelterStatus.OPEN,
                    occupancy=0,
                ),
            )
        )
    return specs


def _expert_specs(city: City, seed: int, categories: dict) -> list[Spec]:
    rng = _rng(seed, 3)
    codes = [code for code, _ in EXPERT_CATEGORIES]
    orgs = [
        "厦门大学",
        "集美大学",
        "市设计研究院",
        "市疾控中心",
        "市气象台",
        "市海洋发展局",
        "市属三甲医院",
        "国网厦门供电公司",
        "市政集团",
        "市消防救援支队",
        "市地震局",
        "市水利局",
        "律师事务所",
    ]
    districts = sorted(city.districts)
    specs = []
    for n in range(LOCAL_EXPERTS):
        category = categories[codes[n % len(codes)]]
        area = city.city if n < LOCAL_EXPERTS_AT_CITY else city.districts[districts[n % len(districts)]]
        specs.append(
            Spec(
                f"demo-expert-{n + 1:04d}",
                _located(
                    f"{_person(rng)}",
                    area,
                    None,
                    category=category,
                    specialty=category.name,
                    organisation=orgs[int(rng.integers(0, len(orgs)))],
                    home_city=ch.HomeCity.LOCAL,
                    availability=ch.Availability.AVAILABLE,
                ),
            )
        )
    n = 0
    for home, city_name, count in SHARED_EXPERTS:
        for _ in range(count):
            n += 1
            category = categories[codes[int(rng.integers(0, len(codes)))]]
            specs.append(
                Spec(
                    f"demo-shared-expert-{n:03d}",
                    _located(
                        f"{_person(rng)}",
                        city.city,
                        None,
                        category=category,
                        specialty=category.name,
                        organisation=f"{city_name}应急专家库",
                        home_city=home,
                        availability=ch.Availability.AVAILABLE,
                    ),
                )
            )
    return specs


def _facility_specs(city: City, seed: int, no_micro: set[str]) -> tuple[list[Spec], list[tuple[str, list]]]:
    """Checkpoints, early-warning terminals, helipads, SAR sub-centres, micro fire stations; and the
    rangers' (checkpoint id, area, location) slots."""
    rng = _rng(seed, 4)
    specs = []
    checkpoints = []
    n = 0
    for district, count in FIRE_CHECKPOINTS.items():
        pool = city.district_communities(district)
        # Forest checkpoints are in villages (村) where the district has them.
        villages = [c for c in pool if c.name.endswith("村委会")] or pool
        for index in sorted(rng.choice(len(villages), count, replace=count > len(villages)).tolist()):
            n += 1
            community = villages[index]
            external_id = f"demo-checkpoint-{n:03d}"
            location = city.near(community, rng, 0.01)
            specs.append(
                Spec(
                    external_id,
                    _located(
                        f"{_short(community.name)}森林防火检查站{n}",
                        community,
                        location,
                        kind=ch.FacilityKind.FIRE_CHECKPOINT,
                        capacity=None,
                    ),
                )
            )
            checkpoints.append((external_id, community, location))
    communities = city.all_communities()
    per = EEW_TERMINALS // len(communities)
    slots = [c for c in communities for _ in range(per)]
    slots += [
        communities[i]
        for i in sorted(rng.choice(len(communities), EEW_TERMINALS - len(slots), replace=False).tolist())
    ]
    slots.sort(key=lambda c: c.code)
    # Appended to the short name (鸿山社区, 渐美村): 鸿山社区服务中心, 渐美村卫生所, …
    places = {"村委会": ["委会", "小学", "卫生所"], "": ["服务中心", "小学", "中学", "幼儿园"]}
    counter: dict[str, int] = {}
    for n, community in enumerate(slots, 1):
        i = counter[community.code] = counter.get(community.code, 0) + 1
        options = places["村委会"] if community.name.endswith("村委会") else places[""]
        specs.append(
            Spec(
                f"demo-eew-{n:04d}",
                _located(
                    f"{_short(community.name)}{options[(i - 1) % len(options)]}地震预警终端{i}",
                    community,
                    city.near(community, rng, 0.002),
                    kind=ch.FacilityKind.EEW_TERMINAL,
                    capacity=None,
                ),
            )
        )
    for n, (district, label) in enumerate(HELIPADS, 1):
        streets = city.streets[district]
        street = streets[int(rng.integers(0, len(streets)))]
        specs.append(
            Spec(
                f"demo-helipad-{n}",
                _located(
                    f"{city.districts[district].name}{label}直升机临时起降点",
                    street,
                    city.near(street, rng, 0.003),
                    kind=ch.FacilityKind.HELIPAD,
                    capacity=1,
                ),
            )
        )
    for n, (district, label, sea) in enumerate(MARITIME_SAR, 1):
        polygon = city.polygons[district]
        inner = polygon.buffer(-0.002)
        target = inner if not inner.is_empty else polygon
        coast = nearest_points(target, shapely.Point(*sea))[0]
        location = Point(round(coast.x, 6), round(coast.y, 6), srid=4326)
        community = min(
            city.district_communities(district),
            key=lambda c: (lambda x, y: (x - coast.x) ** 2 + (y - coast.y) ** 2)(*city.anchor(c)),
        )
        specs.append(
            Spec(
                f"demo-sar-{n}",
                _located(
                    f"厦门海上搜救分中心（{label}）",
                    community,
                    location,
                    kind=ch.FacilityKind.MARITIME_SAR,
                    capacity=None,
                ),
            )
        )
    for community in communities:
        if community.code in no_micro:
            continue
        specs.append(
            Spec(
                f"demo-micro-fire-{community.code}",
                _located(
                    f"{_short(community.name)}微型消防站",
                    community,
                    city.near(community, rng, 0.0015),
                    kind=ch.FacilityKind.MICRO_FIRE_STATION,
                    capacity=int(rng.integers(6, 13)),
                ),
            )
        )
    return specs, checkpoints


def _people_specs(city: City, seed: int, checkpoints, tally: Tally, no_officer: set[str]) -> list[Spec]:
    rng = _rng(seed, 5)
    specs = []
    for community in city.all_communities():
        if community.code in no_officer:
            continue
        specs.append(
            Spec(
                f"demo-officer-{community.code}",
                _located(
                    f"{_person(rng)}",
                    community,
                    city.near(community, rng, 0.001),
                    kind=ch.DutyKind.INFO_OFFICER,
                    checkpoint=None,
                    notes=f"{_short(community.name)} 灾害信息员",
                ),
            )
        )
    base, extra = divmod(FOREST_RANGERS, len(checkpoints))
    n = 0
    for i, (external_id, community, location) in enumerate(checkpoints):
        checkpoint = tally.objects[external_id]
        for _ in range(base + (1 if i < extra else 0)):
            n += 1
            specs.append(
                Spec(
                    f"demo-ranger-{n:04d}",
                    _located(
                        f"{_person(rng)}",
                        community,
                        location,
                        kind=ch.DutyKind.FOREST_RANGER,
                        checkpoint=checkpoint,
                        notes=f"{checkpoint.name} 护林员",
                    ),
                )
            )
    return specs


def _medical_specs(city: City, seed: int) -> list[Spec]:
    rng = _rng(seed, 6)
    specs = []
    names = {
        ch.MedicalLevel.GRADE_3A: "第{n}人民医院",
        ch.MedicalLevel.GRADE_3: "第{n}中心医院",
        ch.MedicalLevel.GRADE_2: "第{n}医院",
        ch.MedicalLevel.GRADE_1: "第{n}卫生院",
    }
    beds = {
        ch.MedicalLevel.GRADE_3A: (800, 2000),
        ch.MedicalLevel.GRADE_3: (500, 1000),
        ch.MedicalLevel.GRADE_2: (200, 500),
        ch.MedicalLevel.GRADE_1: (40, 150),
    }
    n = 0
    for level, by_district in HOSPITALS.items():
        for district, count in by_district.items():
            for _ in range(count):
                n += 1
                streets = city.streets[district]
                street = streets[int(rng.integers(0, len(streets)))]
                low, high = beds[level]
                specs.append(
                    Spec(
                        f"demo-hospital-{n:02d}",
                        _located(
                            f"{city.districts[district].name}{names[level].format(n=n)}",
                            street,
                            city.near(street, rng, 0.004),
                            level=level,
                            beds=int(rng.integers(low, high + 1)),
                            emergency_department=level != ch.MedicalLevel.GRADE_1,
                        ),
                    )
                )
    for street in city.all_streets():
        specs.append(
            Spec(
                f"demo-health-centre-{street.code}",
                _located(
                    f"{street.name}社区卫生服务中心",
                    street,
                    city.near(street, rng, 0.002),
                    level=ch.MedicalLevel.COMMUNITY,
                    beds=int(rng.integers(0, 41)),
                    emergency_department=False,
                ),
            )
        )
    return specs


def _depot_specs(city: City, seed: int, no_station: set[str]) -> list[Spec]:
    rng = _rng(seed, 7)
    specs = []
    huli_streets = city.streets.get(HULI) or city.all_streets()
    anchor = huli_streets[0]
    specs.append(
        Spec(
            "demo-depot-city",
            _located(
                "厦门市应急物资储备库",
                city.city,
                city.near(anchor, rng, 0.004, _district_code(anchor)),
                kind=ch.DepotKind.CITY,
            ),
        )
    )
    for code in sorted(city.districts):
        district = city.districts[code]
        street = city.streets[code][int(rng.integers(0, len(city.streets[code])))]
        specs.append(
            Spec(
                f"demo-depot-{code}",
                _located(
                    f"{district.name}应急物资储备库",
                    district,
                    city.near(street, rng, 0.004, code),
                    kind=ch.DepotKind.DISTRICT,
                ),
            )
        )
    for street in city.all_streets():
        specs.append(
            Spec(
                f"demo-depot-{street.code}",
                _located(
                    f"{street.name}应急物资储备点",
                    street,
                    city.near(street, rng, 0.002),
                    kind=ch.DepotKind.STREET,
                ),
            )
        )
    for community in city.all_communities():
        if community.code in no_station:
            continue
        specs.append(
            Spec(
                f"demo-station-{community.code}",
                _located(
                    f"{_short(community.name)}物资储备站",
                    community,
                    city.near(community, rng, 0.0015),
                    kind=ch.DepotKind.COMMUNITY_STATION,
                ),
            )
        )
    return specs


def _receive_stock(seed: int, depots: list, items: dict, tally: Tally) -> None:
    """Initial stock, received once per (depot, item) through the ledger (one receipt of many lines)."""
    rng = _rng(seed, 8)
    done = set(StockMovement.objects.filter(reference=STOCK_REFERENCE).values_list("depot_id", "item_id"))
    station_codes = sorted(STATION_ITEMS)
    receipts = []
    for depot in depots:
        if depot.kind == ch.DepotKind.COMMUNITY_STATION:
            picked = sorted(rng.choice(len(station_codes), 3, replace=False).tolist())
            plan = {station_codes[i]: STATION_ITEMS[station_codes[i]] for i in picked}
        else:
            plan = STOCK_PLAN.get(depot.kind, {})
        for code in sorted(plan):
            low, high = plan[code]
            quantity = int(rng.integers(low, high + 1))  # drawn always, so the sequence is stable
            item = items[code]
            if (depot.pk, item.pk) in done:
                continue
            receipts.append((depot, item, Decimal(quantity)))
    receive_stock(receipts, reference=STOCK_REFERENCE, note="演示初始库存" + SUFFIX)
    tally.receipts += len(receipts)


@transaction.atomic
def load_resources(seed: int = SEED) -> dict[str, int]:
    """Create or update the demo city's synthetic resources; returns the counts (what the demo holds, and
    what this load created, updated and received)."""
    city = City.load()
    if city is None or not city.districts:
        return {}
    tally = Tally()
    gaps, without = _gap_sets(city)
    categories = _upsert_catalogue(
        ExpertCategory, [{"code": c, "name": n} for c, n in EXPERT_CATEGORIES], tally
    )
    items = _upsert_catalogue(
        SupplyItem, [{"code": c, "name": n, "category": k, "unit": u} for c, n, k, u in SUPPLY_ITEMS], tally
    )
    land, social = _team_specs(city, seed, without("rescue_team"))
    _upsert(RescueTeam, land + social, tally, keep=("status", "readiness"))
    _team_leaders(land + social, tally)
    shelters = _shelter_specs(city, seed, without("shelter_point"), without("demo_shelter"))
    _upsert(Shelter, shelters, tally, keep=("status", "occupancy"))
    experts = _expert_specs(city, seed, categories)
    _upsert(Expert, experts, tally, keep=("availability",))
    facilities, checkpoints = _facility_specs(city, seed, without("micro_fire_station"))
    _upsert(Facility, facilities, tally)
    people = _people_specs(city, seed, checkpoints, tally, without("info_officer"))
    _upsert(DutyPerson, people, tally)
    medical = _medical_specs(city, seed)
    _upsert(MedicalFacility, medical, tally)
    depots = _depot_specs(city, seed, without("supply_station"))
    _upsert(Depot, depots, tally)
    _receive_stock(seed, [tally.objects[s.external_id] for s in depots], items, tally)

    def count(specs, **match):
        return sum(1 for s in specs if all(s.fields.get(k) == v for k, v in match.items()))

    return {
        "land_teams": len(land),
        "land_team_members": sum(s.fields["members"] for s in land),
        "forest_fire_teams": count(land, kind=ch.TeamKind.FOREST_FIRE),
        "social_forces": len(social),
        "social_core_members": sum(s.fields["core_members"] for s in social),
        "shelter_points": count(shelters, kind=ch.ShelterKind.DISASTER_POINT),
        "earthquake_shelters": count(shelters, kind=ch.ShelterKind.EARTHQUAKE),
        "experts_local": count(experts, home_city=ch.HomeCity.LOCAL),
        "experts_shared": len(experts) - count(experts, home_city=ch.HomeCity.LOCAL),
        "expert_categories": len(categories),
        "fire_checkpoints": count(facilities, kind=ch.FacilityKind.FIRE_CHECKPOINT),
        "forest_rangers": count(people, kind=ch.DutyKind.FOREST_RANGER),
        "eew_terminals": count(facilities, kind=ch.FacilityKind.EEW_TERMINAL),
        "helipads": count(facilities, kind=ch.FacilityKind.HELIPAD),
        "maritime_sar": count(facilities, kind=ch.FacilityKind.MARITIME_SAR),
        "micro_fire_stations": count(facilities, kind=ch.FacilityKind.MICRO_FIRE_STATION),
        "info_officers": count(people, kind=ch.DutyKind.INFO_OFFICER),
        "medical_facilities": len(medical),
        "depots": len(depots),
        "supply_items": len(items),
        "coverage_gaps": len(gaps),
        "created": tally.created,
        "updated": tally.updated,
        "stock_receipts": tally.receipts,
    }
