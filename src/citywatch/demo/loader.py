"""The synthetic demo city: Xiamen's real boundaries and division codes, with synthetic data placed
inside them. Deterministic (a fixed seed), idempotent (a second load changes nothing), and labelled
synthetic wherever it is shown."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction

from citywatch.core import actions
from citywatch.core.changelog import acting_as
from citywatch.core.choices import AreaLevel, ChangeSource, OrganisationKind, PointSource, Role
from citywatch.core.importers import AreaImporter
from citywatch.core.models import AdminArea
from citywatch.core.models.versions import raised_once
from citywatch.demo.incidents import load_incidents
from citywatch.demo.land import district_land, sample_in
from citywatch.demo.monitoring import load_monitoring
from citywatch.demo.plans import load_plans
from citywatch.demo.resources import load_resources
from citywatch.demo.roads import load_demo_geo, load_demo_land
from citywatch.demo.subscriptions import load_subscriptions

DATA = Path(__file__).resolve().parent / "data" / "xiamen"
AREA_FILES = ["city.csv", "districts.geojson", "districts.csv", "streets.csv", "communities.csv"]
CITY_CODE = "350200"
SEED = 20230117

# username, role, jurisdiction code, full name
DEMO_USERS = [
    ("city_admin", Role.CITY_ADMIN, CITY_CODE, "市应急管理局 管理员"),
    ("commander", Role.COMMANDER, CITY_CODE, "市指挥长"),
    ("duty_officer", Role.DUTY_OFFICER, CITY_CODE, "市指挥中心 值班员"),
    ("siming_officer", Role.DISTRICT_OFFICER, "350203", "思明区 应急办"),
    ("huli_officer", Role.DISTRICT_OFFICER, "350206", "湖里区 应急办"),
    ("inspector", Role.INSPECTOR, CITY_CODE, "市执法支队 执法人员"),
    ("team_leader", Role.TEAM_LEADER, CITY_CODE, "救援队 队长"),
]


@dataclass
class DemoResult:
    password: str
    password_generated: bool
    areas_report: object
    points_placed: int
    resources: dict = field(default_factory=dict)
    geo: dict = field(default_factory=dict)  # synthetic roads and population (demo.roads.load_demo_geo)
    monitoring: dict = field(default_factory=dict)  # sources, stations, rules, history (demo.monitoring)


def demo_password() -> tuple[str, bool]:
    """CITYWATCH_DEMO_PASSWORD, or one generated on the first load and kept in the data directory."""
    if settings.CITYWATCH_DEMO_PASSWORD:
        return settings.CITYWATCH_DEMO_PASSWORD, False
    path = Path(settings.DATA_DIR) / "demo-password"
    if path.exists():
        return path.read_text().strip(), False
    password = "cw-" + secrets.token_urlsafe(9)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password)
    return password, True


def place_synthetic_points(seed: int = SEED) -> int:
    """A deterministic point on its district's land (``demo.land``) for every street and community
    that has none."""
    rng = np.random.default_rng(seed)
    placed = 0
    districts = AdminArea.objects.filter(level=AreaLevel.DISTRICT, boundary__isnull=False).order_by("code")
    for district in districts:
        polygon = district_land(shapely.from_wkb(bytes(district.boundary.wkb)))
        streets = list(AdminArea.objects.filter(parent=district, level=AreaLevel.STREET).order_by("code"))
        # Draw for every street, placed or not, so the sequence never depends on what exists already.
        street_xy = sample_in(polygon, len(streets), rng)
        for street, (x, y) in zip(streets, street_xy, strict=True):
            if street.point is None:
                actions.save_area(
                    code=street.code, point=Point(x, y, srid=4326), point_source=PointSource.SYNTHETIC
                )
                placed += 1
            anchor = street.point or Point(x, y, srid=4326)
            communities = list(
                AdminArea.objects.filter(parent=street, level=AreaLevel.COMMUNITY).order_by("code")
            )
            if not communities:
                continue
            near = polygon.intersection(shapely.Point(anchor.x, anchor.y).buffer(0.02))
            region = near if not near.is_empty and near.area > 0 else polygon
            for community, (cx, cy) in zip(
                communities, sample_in(region, len(communities), rng), strict=True
            ):
                if community.point is None:
                    actions.save_area(
                        code=community.code,
                        point=Point(cx, cy, srid=4326),
                        point_source=PointSource.SYNTHETIC,
                    )
                    placed += 1
    return placed


def load_people(password: str) -> None:
    city = AdminArea.objects.get(code=CITY_CODE)
    bureau, _ = actions.save_organisation(
        name="厦门市应急管理局", kind=OrganisationKind.DEPARTMENT, area=city
    )
    orgs = {CITY_CODE: bureau}
    for code, name in (("350203", "思明区应急管理局"), ("350206", "湖里区应急管理局")):
        area = AdminArea.objects.get(code=code)
        orgs[code], _ = actions.save_organisation(
            name=name, kind=OrganisationKind.DEPARTMENT, area=area, parent=bureau
        )
    for username, role, code, full_name in DEMO_USERS:
        actions.save_user(
            username=username,
            role=role,
            jurisdiction=AdminArea.objects.get(code=code),
            organisation=orgs.get(code, bureau),
            password=password,
            # The demo's password is shared and published (printed, kept in var/demo-password): demo users
            # are never sent to the password change page, which would break the demo and the browser tests.
            must_change_password=False,
            first_name=full_name[:150],  # shown as is: Chinese names and titles have no first/last split
            last_name="",
            is_staff=role == Role.CITY_ADMIN,
        )


def load_demo(
    with_resources: bool = True,
    with_geo: bool = True,
    with_incidents: bool = True,
    with_monitoring: bool = True,
    with_subscriptions: bool = False,
    receiver_port: int | None = None,
) -> DemoResult:
    """Load the demo city; ``with_resources=False`` stops after areas and people (tests that make their
    own records use it to start faster; the monitoring hub is left out too); ``with_monitoring=False``
    leaves out the monitoring hub's sources, stations, rules and history (``demo.monitoring``);
    ``with_geo=False`` skips the land and sea around Xiamen (imported first) and the synthetic road
    network and population grid (files in the data directory, imported after the database work);
    ``with_subscriptions`` adds the demo's MQTT and webhook subscriptions (``demo.subscriptions``;
    ``citywatch demo`` does, the tests do not)."""
    password, generated = demo_password()
    # Land first: the basemap's area tiles, cut when the areas commit, put district names on land.
    land = load_demo_land() if with_geo else {}
    # One transaction; the access and registry versions are raised once at its end, not per row.
    with acting_as(None, ChangeSource.SYSTEM), transaction.atomic(), raised_once():
        report = AreaImporter().run([DATA / name for name in AREA_FILES])
        placed = place_synthetic_points()
        load_people(password)
        if with_resources:
            load_plans()
        resources = load_resources() if with_resources else {}
        if with_resources and with_incidents:
            load_incidents()
        monitoring = load_monitoring() if with_resources and with_monitoring else {}
        if with_subscriptions:
            load_subscriptions(receiver_port)
    geo = {**load_demo_geo(), "land": land} if with_geo else {}
    return DemoResult(password, generated, report, placed, resources, geo, monitoring)
