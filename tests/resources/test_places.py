"""Place search (``GET /api/v1/places``): areas by name, pinyin and initials, registry places by name,
each person within their jurisdiction."""

import pytest

from tests.support.builders import record_in


def names(client, q, **params):
    r = client.get("/api/v1/places", {"q": q, **params})
    assert r.status_code == 200, r.content
    return r.json()


@pytest.mark.django_db
def test_area_by_name_pinyin_and_initials(city_admin):
    by_name = names(city_admin, "集美")
    assert by_name[0]["name"] == "集美区" and by_name[0]["kind"] == "area"
    assert by_name[0]["level"] == "district"
    assert by_name[0]["bbox"] and 117 < by_name[0]["lon"] < 119
    assert "集美街道" in [p["name"] for p in by_name]
    street = names(city_admin, "侨英街道")[0]
    assert street["name"] == "侨英街道" and street["context"] == "集美区" and street["code"] == "350211002"
    assert names(city_admin, "qiaoying")[0]["name"] == "侨英街道"
    assert names(city_admin, "QiaoYing Jie")[0]["name"] == "侨英街道"
    assert names(city_admin, "jmq")[0]["name"] == "集美区"
    assert names(city_admin, "没有这个地方") == []


@pytest.mark.django_db
def test_registry_places_and_jurisdiction(city_admin, siming, huli):
    shelter = record_in("shelters")  # in 思明区
    found = names(city_admin, shelter.name)
    assert any(p["kind"] == "shelters" and p["id"] == shelter.pk for p in found)
    assert any(p["id"] == shelter.pk for p in names(siming, shelter.name))
    assert not any(p["kind"] == "shelters" and p["id"] == shelter.pk for p in names(huli, shelter.name))
    # A Huli officer finds no street of 集美区.
    assert [p for p in names(huli, "侨英") if p["kind"] == "area"] == []


@pytest.mark.django_db
def test_limit_and_bad_queries(city_admin):
    assert len(names(city_admin, "社区", limit=3)) == 3
    r = city_admin.get("/api/v1/places", {"q": "x" * 51})
    assert r.status_code == 422 and "error" in r.json()
