"""Resource pages: list, detail, create, edit, delete, stock and occupancy forms — restricted and logged."""

import pytest

from citywatch.core.models import AdminArea, ObjectChange
from citywatch.resources.models import Depot, RescueTeam, Shelter, StockBalance, SupplyItem

pytestmark = pytest.mark.django_db


def form(**extra):
    return {
        "name": "思明区应急突击队",
        "kind": "grassroots",
        "members": "25",
        "core_members": "5",
        "area_code": "350203",
        "lon": "118.10",
        "lat": "24.46",
        "status": "available",
        "readiness": "immediate",
        "crs": "wgs84",
        **extra,
    }


def test_create_through_the_form(siming):
    response = siming.post("/resources/rescue-teams/new/", form())
    assert response.status_code == 302, response.content.decode()[:2000]
    team = RescueTeam.objects.get(name="思明区应急突击队")
    assert response["Location"] == f"/resources/rescue-teams/{team.pk}/"
    change = ObjectChange.objects.filter(content_type__model="rescueteam", object_id=str(team.pk)).get()
    assert change.user_name == "siming_officer" and change.source == "web"
    page = siming.get(response["Location"]).content.decode()
    assert "思明区应急突击队" in page


def test_invalid_form_shows_errors_and_writes_nothing(siming):
    before = RescueTeam.objects.count()
    response = siming.post("/resources/rescue-teams/new/", form(members="-3", lon="24.46", lat="118.10"))
    assert response.status_code == 422
    text = response.content.decode()
    assert "不能为负数" in text and "填反了" in text
    assert RescueTeam.objects.count() == before


def test_other_district_cannot_see_or_edit(siming, huli):
    siming.post("/resources/rescue-teams/new/", form())
    team = RescueTeam.objects.get(name="思明区应急突击队")
    assert huli.get(f"/resources/rescue-teams/{team.pk}/").status_code == 404
    assert huli.get(f"/resources/rescue-teams/{team.pk}/edit/").status_code == 404
    assert huli.post(f"/resources/rescue-teams/{team.pk}/delete/").status_code == 404
    assert "思明区应急突击队" not in huli.get("/resources/rescue-teams/", {"q": "突击队"}).content.decode()
    assert "思明区应急突击队" in siming.get("/resources/rescue-teams/", {"q": "突击队"}).content.decode()


def test_edit_and_delete(siming):
    siming.post("/resources/rescue-teams/new/", form())
    team = RescueTeam.objects.get(name="思明区应急突击队")
    assert siming.get(f"/resources/rescue-teams/{team.pk}/edit/").status_code == 200
    response = siming.post(f"/resources/rescue-teams/{team.pk}/edit/", form(status="unavailable"))
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.status == "unavailable"
    assert siming.post(f"/resources/rescue-teams/{team.pk}/delete/").status_code == 302
    assert not RescueTeam.objects.filter(pk=team.pk).exists()


def test_read_only_roles_get_403_on_forms(inspector):
    assert inspector.get("/resources/rescue-teams/").status_code == 200
    assert inspector.get("/resources/rescue-teams/new/").status_code == 403


@pytest.mark.parametrize(
    "slug",
    [
        "rescue-teams",
        "depots",
        "medical-facilities",
        "shelters",
        "experts",
        "facilities",
        "duty-people",
        "supply-items",
    ],
)
def test_every_kind_has_list_and_new_pages(city_admin, slug):
    assert city_admin.get(f"/resources/{slug}/").status_code == 200
    assert city_admin.get(f"/resources/{slug}/new/").status_code == 200


def test_unknown_kind_is_404(city_admin):
    assert city_admin.get("/resources/dragons/").status_code == 404


def test_bad_filters_do_not_500(siming):
    response = siming.get("/resources/shelters/", {"status": "burning", "page": "x", "area": "abc"})
    assert response.status_code == 200
    assert "status" in response.content.decode()


def test_stock_form(siming):
    area = AdminArea.objects.get(code="350203")
    depot = Depot.objects.create(
        name="思明区储备库（页面测试）", kind="district", area=area, location=area.point
    )
    item, _ = SupplyItem.objects.get_or_create(
        code="TENT-T", defaults={"name": "帐篷", "category": "shelter", "unit": "顶"}
    )
    url = f"/resources/depots/{depot.pk}/movements/"
    siming.post(url, {"kind": "receipt", "item": item.code, "quantity": "40"})
    siming.post(url, {"kind": "issue", "item": item.code, "quantity": "50"})
    assert StockBalance.objects.get(depot=depot, item=item).quantity == 40
    page = siming.get(f"/resources/depots/{depot.pk}/").content.decode()
    assert "帐篷" in page and "不能出库 50" in page


def test_occupancy_form(siming):
    area = AdminArea.objects.get(code="350203")
    shelter = Shelter.objects.create(
        name="避灾点（页面测试）", kind="disaster_point", capacity=50, area=area, location=area.point
    )
    siming.post(f"/resources/shelters/{shelter.pk}/occupancy/", {"occupancy": "50"})
    shelter.refresh_from_db()
    assert shelter.occupancy == 50 and shelter.status == "full"
    siming.post(f"/resources/shelters/{shelter.pk}/occupancy/", {"occupancy": "abc"})
    shelter.refresh_from_db()
    assert shelter.occupancy == 50


def test_coverage_page_and_csv(city_admin, siming):
    page = city_admin.get("/resources/coverage/", {"only_gaps": "1"})
    assert page.status_code == 200
    csv = city_admin.get("/resources/coverage/", {"format": "csv", "level": "street"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert "350203" in siming.get("/resources/coverage/", {"level": "street"}).content.decode()
    assert "350206001" not in siming.get("/resources/coverage/", {"level": "street"}).content.decode()
    assert city_admin.get("/resources/coverage/", {"level": "planet"}).status_code == 200


def test_coverage_is_filtered_by_the_area_name(city_admin):
    """The area is typed as its name (湖里区), as on the other lists; an unknown name is a message."""
    by_code = city_admin.get("/resources/coverage/", {"level": "street", "area": "350206", "format": "csv"})
    by_name = city_admin.get("/resources/coverage/", {"level": "street", "area": "湖里区", "format": "csv"})
    assert by_name.content == by_code.content and b"350206" in by_name.content
    assert b"350203" not in by_name.content
    page = city_admin.get("/resources/coverage/", {"area": "湖里区"}).content.decode()
    assert "区划（名称或代码）" in page and "区划代码" not in page and 'value="湖里区"' in page
    unknown = city_admin.get("/resources/coverage/", {"area": "火星区"})
    assert unknown.status_code == 200 and "火星区" in unknown.content.decode()


def test_upload_page_reports_problems_with_the_file_name(siming):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = "name,kind,capacity,lon,lat,area_code\n避灾点A,disaster_point,-5,118.10,24.46,350203\n".encode()
    response = siming.post("/resources/shelters/import/", {"file": SimpleUploadedFile("我的避灾点.csv", csv)})
    assert response.status_code == 422
    text = response.content.decode()
    assert "不能为负数" in text and "capacity" in text
    good = (
        "name,kind,capacity,lon,lat,area_code,external_id\n"
        "避灾点B,disaster_point,50,118.10,24.46,350203,up-1\n"
    )
    response = siming.post(
        "/resources/shelters/import/", {"file": SimpleUploadedFile("ok.csv", good.encode())}
    )
    assert response.status_code == 200 and "新建 1 条" in response.content.decode()
    response = siming.post("/resources/shelters/import/", {"file": SimpleUploadedFile("x.exe", b"MZ")})
    assert response.status_code == 415
