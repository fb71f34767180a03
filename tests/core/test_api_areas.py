"""GET /api/v1/areas and /api/v1/areas/{code}, restricted by jurisdiction."""

import pytest

pytestmark = pytest.mark.django_db

SIMING, HULI = "350203", "350206"


def codes(response):
    assert response.status_code == 200, response.content
    return {item["code"] for item in response.json()["items"]}


def test_city_admin_sees_all_six_districts(city_admin):
    body = city_admin.get("/api/v1/areas", {"level": "district"}).json()
    assert body["count"] == 6
    assert {i["name"] for i in body["items"]} == {"思明区", "海沧区", "湖里区", "集美区", "同安区", "翔安区"}


def test_demo_city_counts(city_admin):
    for level, expected in {"city": 1, "district": 6, "street": 54, "community": 555}.items():
        assert city_admin.get("/api/v1/areas", {"level": level, "limit": 1}).json()["count"] == expected


def test_siming_officer_sees_siming_and_everything_beneath(siming):
    body = siming.get("/api/v1/areas", {"limit": 1000}).json()
    found = {i["code"] for i in body["items"]}
    assert SIMING in found and HULI not in found and "350200" not in found
    assert all(code.startswith(SIMING) for code in found)
    # Its streets and communities are there.
    levels = {i["level"] for i in body["items"]}
    assert levels == {"district", "street", "community"}


def test_two_district_personas_see_disjoint_areas(siming, huli):
    a = codes(siming.get("/api/v1/areas", {"limit": 1000}))
    b = codes(huli.get("/api/v1/areas", {"limit": 1000}))
    assert a and b and not (a & b)


@pytest.mark.parametrize(
    ("persona", "code", "status"),
    [
        ("siming", SIMING, 200),
        ("siming", HULI, 404),
        ("huli", HULI, 200),
        ("huli", SIMING, 404),
        ("siming", "350203001", 200),
        ("huli", "350203001", 404),
        ("siming", "350200", 404),
    ],
)
def test_detail_outside_jurisdiction_is_404(request, persona, code, status):
    response = request.getfixturevalue(persona).get(f"/api/v1/areas/{code}")
    assert response.status_code == status
    if status == 404:
        assert response.json()["error"]["code"] == "not_found"


def test_detail_has_boundary_as_geojson(city_admin):
    body = city_admin.get(f"/api/v1/areas/{SIMING}").json()
    assert body["name"] == "思明区"
    assert body["boundary"]["type"] == "MultiPolygon"
    assert body["parent"]["code"] == "350200"
    assert body["children"] > 0


def test_filters_level_parent_q(city_admin):
    streets = city_admin.get("/api/v1/areas", {"parent": SIMING}).json()["items"]
    assert streets and all(s["parent_code"] == SIMING and s["level"] == "street" for s in streets)
    hits = city_admin.get("/api/v1/areas", {"q": "思明"}).json()["items"]
    assert any(h["code"] == SIMING for h in hits)
    by_code = city_admin.get("/api/v1/areas", {"q": "3502060"}).json()["items"]
    assert by_code and all(h["code"].startswith("3502060") for h in by_code)


def test_geojson_format(siming):
    body = siming.get("/api/v1/areas", {"format": "geojson", "level": "district"}).json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["name"] for f in body["features"]] == ["思明区"]
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"
    streets = siming.get("/api/v1/areas", {"format": "geojson", "level": "street"}).json()
    assert streets["features"] and all(f["geometry"]["type"] == "Point" for f in streets["features"])
    assert all(f["properties"]["synthetic"] for f in streets["features"])


def test_pagination(city_admin):
    first = city_admin.get("/api/v1/areas", {"limit": 10}).json()
    second = city_admin.get("/api/v1/areas", {"limit": 10, "offset": 10}).json()
    assert first["count"] == 616 and len(first["items"]) == 10 and first["next_offset"] == 10
    assert not {i["code"] for i in first["items"]} & {i["code"] for i in second["items"]}


def test_bbox_filter(city_admin):
    # A box around Gulangyu / western Siming only.
    body = city_admin.get("/api/v1/areas", {"level": "district", "bbox": "118.05,24.42,118.09,24.46"}).json()
    assert {i["code"] for i in body["items"]} <= {SIMING, "350205"}


def test_token_user_is_restricted_too(siming, user):
    from citywatch.core import actions

    _, plain = actions.create_api_token(user("huli_officer"))
    from django.test import Client

    c = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    assert c.get(f"/api/v1/areas/{HULI}", **auth).status_code == 200
    assert c.get(f"/api/v1/areas/{SIMING}", **auth).status_code == 404
