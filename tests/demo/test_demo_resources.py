"""The demo city's synthetic resources: the seed's counts, labelled synthetic, inside the boundaries,
change-logged, idempotent, a real stock ledger, and exactly the deliberate coverage gaps."""

import io
from collections import Counter

import pytest
import shapely
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db.models import Sum
from shapely.prepared import prep

from citywatch.core.models import AdminArea, ObjectChange
from citywatch.demo.land import district_land
from citywatch.demo.resources import SUFFIX, planned_gaps
from citywatch.resources.actions import BOUNDARY_TOLERANCE_DEG
from citywatch.resources.coverage import coverage_for
from citywatch.resources.models import (
    Depot,
    DutyPerson,
    Expert,
    ExpertCategory,
    Facility,
    MedicalFacility,
    RescueTeam,
    Shelter,
    StockBalance,
    StockMovement,
    SupplyItem,
)

pytestmark = pytest.mark.django_db

LOCATED = [RescueTeam, Shelter, Expert, Facility, DutyPerson, MedicalFacility, Depot]
OUTER = {"350205", "350211", "350212", "350213"}


def demo(model):
    return model.objects.filter(external_id__startswith="demo-")


def district_of(path):
    codes = [c for c in path.split(".") if c]
    return codes[1] if len(codes) > 1 else None


def test_rescue_forces():
    land = demo(RescueTeam).exclude(kind="social")
    assert land.count() == 508
    assert land.aggregate(n=Sum("members"))["n"] >= 13_000
    social = demo(RescueTeam).filter(kind="social")
    assert social.count() == 13 and social.aggregate(n=Sum("core_members"))["n"] == 4000
    forest = demo(RescueTeam).filter(kind="forest_fire")
    assert forest.count() == 5 and forest.aggregate(n=Sum("members"))["n"] == 224
    assert not demo(RescueTeam).filter(core_members__gt=0).filter(members__lt=1).exists()


def test_shelters_experts_facilities_people():
    assert demo(Shelter).filter(kind="disaster_point").count() == 717
    assert demo(Shelter).filter(kind="earthquake").count() == 82
    local = demo(Expert).filter(home_city="local")
    assert local.count() == 320 and local.values("category").distinct().count() == 22
    shared = demo(Expert).exclude(home_city="local")
    assert shared.count() == 75
    assert set(shared.values_list("home_city", flat=True)) == {"quanzhou", "zhangzhou"}
    assert ExpertCategory.objects.count() >= 22
    names = set(ExpertCategory.objects.values_list("name", flat=True))
    assert {"防汛抗旱", "森林防火", "危险化学品", "航空救援"} <= names
    assert demo(Facility).filter(kind="fire_checkpoint").count() == 123
    rangers = demo(DutyPerson).filter(kind="forest_ranger")
    assert rangers.count() == 1719 and not rangers.filter(checkpoint__isnull=True).exists()
    assert set(rangers.values_list("checkpoint__kind", flat=True)) == {"fire_checkpoint"}
    assert demo(Facility).filter(kind="eew_terminal").count() == 1800
    assert demo(Facility).filter(kind="helipad").count() == 3
    assert demo(Facility).filter(kind="maritime_sar").count() == 4


def test_one_information_officer_per_community_except_the_gaps():
    communities = AdminArea.objects.filter(level="community")
    without = {c for c, g in planned_gaps().items() if "info_officer" in g}
    officers = Counter(demo(DutyPerson).filter(kind="info_officer").values_list("area__code", flat=True))
    assert set(officers.values()) == {1}
    assert set(officers) == set(communities.values_list("code", flat=True)) - without
    assert len(without) >= 1


def test_realistic_distribution():
    checkpoints = list(demo(Facility).filter(kind="fire_checkpoint").values_list("area__path", flat=True))
    outer = sum(1 for p in checkpoints if district_of(p) in OUTER)
    assert outer / len(checkpoints) >= 0.9
    assert not any(district_of(p) == "350206" for p in checkpoints)  # 湖里 has no forest
    hospitals = list(demo(MedicalFacility).exclude(level="community").values_list("area__path", flat=True))
    central = sum(1 for p in hospitals if district_of(p) in {"350203", "350206"})
    assert central / len(hospitals) > 0.5
    # Maritime SAR sub-centres are on the coast: on land, near the sea (the districts' land, demo.land).
    land = shapely.union_all(
        [
            district_land(shapely.from_wkb(bytes(d.boundary.wkb)))
            for d in AdminArea.objects.filter(level="district")
        ]
    )
    for sar in demo(Facility).filter(kind="maritime_sar"):
        at = shapely.Point(sar.location.x, sar.location.y)
        assert land.covers(at) and land.boundary.distance(at) < 0.005, sar
    # Every street has its depot and every community station holds stock.
    assert demo(Depot).filter(kind="street").count() == AdminArea.objects.filter(level="street").count()
    assert demo(Depot).filter(kind="city").count() == 1 and demo(Depot).filter(kind="district").count() == 6


def test_everything_is_labelled_synthetic():
    for model in LOCATED:
        rows = demo(model)
        assert rows.exists(), model
        assert not rows.filter(synthetic=False).exists(), model
        assert not rows.exclude(name__endswith=SUFFIX).exists(), model
    # Nothing synthetic without a demo id (no stray rows from the loader).
    for model in LOCATED:
        assert not model.objects.filter(synthetic=True).exclude(external_id__startswith="demo-").exists()


def test_every_point_lies_inside_its_district():
    districts_qs = AdminArea.objects.filter(level="district")
    shapes = {d.code: shapely.from_wkb(bytes(d.boundary.wkb)) for d in districts_qs}
    districts = {code: prep(shape.buffer(BOUNDARY_TOLERANCE_DEG)) for code, shape in shapes.items()}
    city = prep(shapely.union_all(list(shapes.values())).buffer(BOUNDARY_TOLERANCE_DEG))
    checked = 0
    for model in LOCATED:
        rows = demo(model).filter(location__isnull=False).values_list("location", "area__path")
        for location, path in rows:
            # An area beneath a district: inside that district; the city's own records: inside the city.
            shape = districts[district_of(path)] if district_of(path) else city
            assert shape.contains(shapely.Point(location.x, location.y)), (model, path, location)
            checked += 1
    assert checked > 6000


def test_every_row_is_change_logged():
    for model in LOCATED + [ExpertCategory, SupplyItem]:
        qs = demo(model) if model not in (ExpertCategory, SupplyItem) else model.objects.all()
        ct = ContentType.objects.get_for_model(model)
        creates = ObjectChange.objects.filter(content_type=ct, action="create")
        logged = set(creates.values_list("object_id", flat=True))
        ids = {str(pk) for pk in qs.values_list("pk", flat=True)}
        assert ids <= logged, model
    team = demo(RescueTeam).select_related("area").first()
    change = ObjectChange.objects.get(
        content_type=ContentType.objects.get_for_model(RescueTeam), object_id=str(team.pk), action="create"
    )
    assert change.area_path == team.area.path and change.after["name"] == team.name
    assert change.after["external_id"] == team.external_id and change.before is None
    assert change.source == "system"


def test_stock_balances_are_the_sum_of_their_ledger():
    demo_balances = StockBalance.objects.filter(depot__external_id__startswith="demo-")
    balances = {(b.depot_id, b.item_id): b.quantity for b in demo_balances}
    sums = {
        (r["depot_id"], r["item_id"]): r["total"]
        for r in StockMovement.objects.filter(depot__external_id__startswith="demo-")
        .values("depot_id", "item_id")
        .annotate(total=Sum("delta"))
    }
    assert balances and balances == sums
    assert all(q > 0 for q in balances.values())
    stocked = {d for d, _ in balances}
    assert stocked == set(demo(Depot).values_list("pk", flat=True))
    movements = StockMovement.objects.filter(depot__external_id__startswith="demo-")
    assert set(movements.values_list("kind", flat=True)) == {"receipt"}
    catalogue = set(SupplyItem.objects.values_list("name", flat=True))
    assert {"救灾帐篷", "救生衣", "抽水泵", "发电机", "瓶装水", "方便食品", "棉被", "折叠床"} <= catalogue


def test_second_load_changes_nothing():
    from citywatch.demo.resources import load_resources

    changes, movements = ObjectChange.objects.count(), StockMovement.objects.count()
    counts = load_resources()
    assert counts["created"] == 0 and counts["updated"] == 0 and counts["stock_receipts"] == 0
    assert ObjectChange.objects.count() == changes and StockMovement.objects.count() == movements
    assert counts["land_teams"] == 508 and counts["social_core_members"] == 4000
    assert counts["forest_rangers"] == 1719 and counts["eew_terminals"] == 1800


def test_reload_repairs_the_demo_but_keeps_operational_state():
    from citywatch.demo.resources import load_resources

    team = demo(RescueTeam).order_by("external_id").first()
    team.status = "deployed"
    team.name = "改过的名字"
    team.save()
    officer = demo(DutyPerson).filter(kind="info_officer").order_by("external_id").first()
    officer_id = officer.external_id
    officer.delete()
    counts = load_resources()
    assert counts["updated"] == 1 and counts["created"] == 1
    team.refresh_from_db()
    assert team.name.endswith(SUFFIX) and team.status == "deployed"
    assert DutyPerson.objects.filter(external_id=officer_id).exists()


def test_the_coverage_report_shows_the_deliberate_gaps_and_nothing_else(user):
    gaps = planned_gaps()
    assert 5 <= len(gaps) <= 12
    assert any(AdminArea.objects.get(code=c).level == "street" for c in gaps)
    report = coverage_for(user("city_admin"))
    assert {r["code"]: set(r["gaps"]) for r in report["rows"] if not r["met"]} == gaps


def test_demo_command_prints_the_resource_counts():
    out = io.StringIO()
    call_command("demo", "--load-only", stdout=out)
    text = out.getvalue()
    assert "合成资源：" in text and "救援队伍 508" in text and "本次新建 0" in text
    assert "land_teams" not in text and "synthetic" not in text
