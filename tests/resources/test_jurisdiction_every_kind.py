"""Two district personas against every resource endpoint: what one district registers, the other can
neither list, read, change, delete nor export."""

import pytest

from citywatch.resources.models import ExpertCategory, Facility

pytestmark = pytest.mark.django_db

PT = {"lon": 118.10, "lat": 24.46, "area_code": "350203"}


def payloads():
    ExpertCategory.objects.get_or_create(code="flood-test", defaults={"name": "防汛抗旱（测试）"})
    return {
        "rescue-teams": {"name": "测试队伍", "kind": "grassroots", "members": 10, **PT},
        "depots": {"name": "测试储备库", "kind": "street", **PT},
        "medical-facilities": {"name": "测试医院", "level": "2", "beds": 100, **PT},
        "shelters": {"name": "测试避灾点", "kind": "disaster_point", "capacity": 80, **PT},
        "experts": {"name": "测试专家", "category": "flood-test", "area_code": "350203"},
        "facilities": {"name": "测试微型消防站", "kind": "micro_fire_station", **PT},
        "duty-people": {"name": "测试灾害信息员", "kind": "info_officer", **PT},
    }


@pytest.mark.parametrize(
    "slug",
    ["rescue-teams", "depots", "medical-facilities", "shelters", "experts", "facilities", "duty-people"],
)
def test_one_district_cannot_touch_the_others(siming, huli, city_admin, slug):
    body = payloads()[slug]
    created = siming.post(f"/api/v1/resources/{slug}/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    url = f"/api/v1/resources/{slug}/{pk}"
    # The owner district and the city see it.
    assert siming.get(url).status_code == 200
    assert city_admin.get(url).status_code == 200
    assert pk in [
        i["id"]
        for i in siming.get(f"/api/v1/resources/{slug}/", {"limit": 1000, "q": body["name"]}).json()["items"]
    ]
    # The other district does not.
    listed = huli.get(f"/api/v1/resources/{slug}/", {"limit": 1000, "q": body["name"]}).json()
    assert pk not in [i["id"] for i in listed["items"]]
    geo = huli.get(f"/api/v1/resources/{slug}/", {"format": "geojson", "q": body["name"]}).json()
    assert pk not in [f["id"] for f in geo["features"]]
    assert huli.get(url).status_code == 404
    assert huli.patch(url, {"name": "改名"}, content_type="application/json").status_code == 404
    assert huli.delete(url).status_code == 404
    assert huli.get(f"/resources/{slug}/{pk}/").status_code == 404
    # Nor can it move the record into its own district by editing.
    assert siming.patch(url, {"area_code": "350206"}, content_type="application/json").status_code == 422
    assert siming.get(url).json()["name"] == body["name"]


def test_other_district_cannot_report_occupancy(siming, huli):
    pk = siming.post(
        "/api/v1/resources/shelters/", payloads()["shelters"], content_type="application/json"
    ).json()["id"]
    assert (
        huli.post(
            f"/api/v1/resources/shelters/{pk}/occupancy", {"occupancy": 5}, content_type="application/json"
        ).status_code
        == 404
    )
    assert huli.get(f"/api/v1/resources/shelters/{pk}/occupancy").status_code == 404


def test_ranger_checkpoint_reference(siming):
    siming.post(
        "/api/v1/resources/facilities/",
        {"name": "测试检查站", "kind": "fire_checkpoint", "external_id": "cp-test-1", **PT},
        content_type="application/json",
    )
    assert Facility.objects.filter(external_id="cp-test-1").exists()
    r = siming.post(
        "/api/v1/resources/duty-people/",
        {"name": "测试护林员", "kind": "forest_ranger", "checkpoint": "cp-test-1", **PT},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["checkpoint"] == "cp-test-1"
    r = siming.post(
        "/api/v1/resources/duty-people/",
        {"name": "测试护林员2", "kind": "forest_ranger", "checkpoint": "nope", **PT},
        content_type="application/json",
    )
    assert r.status_code == 422
