"""Lists filter the way people talk: areas by name as well as code, several statuses at once, labels as
well as values; an invalid value is reported while the other filters still apply."""

import pytest

from tests.support.builders import new_incident, record_in

JIMEI, QIAOYING = "350211", "350211002"


@pytest.mark.django_db
def test_incidents_by_area_name_and_several_statuses(city_admin):
    jimei = new_incident(code=QIAOYING)
    siming = new_incident()
    ids = lambda r: {i["id"] for i in r.json()["items"]}  # noqa: E731
    for area in ("集美区", "集美", JIMEI, "侨英街道", QIAOYING):
        r = city_admin.get("/api/v1/incidents/", {"area": area})
        assert r.status_code == 200, r.content
        assert jimei.pk in ids(r) and siming.pk not in ids(r), area
    r = city_admin.get("/api/v1/incidents/", {"status": "reported,verified"})
    assert {jimei.pk, siming.pk} <= ids(r)
    r = city_admin.get("/api/v1/incidents/", {"status": "closed,cancelled"})
    assert not {jimei.pk, siming.pk} & ids(r)
    r = city_admin.get("/api/v1/incidents/", {"area": "火星区"})
    assert r.status_code == 422 and "火星区" in str(r.json())


@pytest.mark.django_db
def test_list_page_reports_a_bad_filter_and_keeps_the_others(city_admin):
    jimei = new_incident(code=QIAOYING, title="集美内涝")
    siming = new_incident(title="思明火情")
    page = city_admin.get("/incidents/", {"area": "集美区", "severity": "9"}).content.decode()
    assert "事件级别" in page and "集美内涝" in page and "思明火情" not in page
    page = city_admin.get("/incidents/", {"area": "火星区", "q": "集美"}).content.decode()
    assert "火星区" in page and "集美内涝" in page and "思明火情" not in page
    assert jimei.pk and siming.pk


@pytest.mark.django_db
def test_shelters_by_several_statuses_and_labels(city_admin):
    from citywatch.resources.models import Shelter

    full = record_in("shelters")
    Shelter.objects.filter(pk=full.pk).update(status="full")
    ids = lambda r: {i["id"] for i in r.json()["items"]}  # noqa: E731
    for value in ("full,closed", "已满、关闭"):
        r = city_admin.get("/api/v1/resources/shelters/", {"status": value, "area": "思明区", "limit": 1000})
        assert r.status_code == 200, r.content
        assert full.pk in ids(r) and all(i["status"] in ("full", "closed") for i in r.json()["items"]), value
    r = city_admin.get("/api/v1/resources/shelters/", {"status": "overflowing"})
    assert r.status_code == 422


@pytest.mark.django_db
def test_resource_pages_show_area_names_states_and_several_statuses(city_admin):
    from citywatch.resources.models import RescueTeam, Shelter

    full = record_in("shelters")
    Shelter.objects.filter(pk=full.pk).update(status="full", name="满员测试避难点")
    page = city_admin.get("/resources/shelters/", {"status": ["full", "closed"], "area": "思明区"})
    body = page.content.decode()
    assert page.status_code == 200 and "满员测试避难点" in body
    assert "<td>思明区" in body and "<td>3502" not in body  # area names, not codes
    assert '<option value="full" selected>' in body and '<option value="closed" selected>' in body
    overview = city_admin.get("/resources/").content.decode()
    available = RescueTeam.objects.filter(status="available").count()
    full_count = Shelter.objects.filter(status="full").count()
    assert f'data-state="available">可用 {available}<' in overview or f"可用 {available}" in overview
    assert f"已满 {full_count}" in overview
