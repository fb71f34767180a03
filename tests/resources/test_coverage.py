"""Grassroots coverage (基层全覆盖): the report matches the data, by jurisdiction, as JSON, GeoJSON and CSV.

The demo city (with its deliberate gaps) is in the database; each test makes its own gaps and fills on
top of it, inside the test's transaction.
"""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from citywatch.core.models import AdminArea
from citywatch.demo.resources import planned_gaps
from citywatch.resources.coverage import (
    REQUIREMENT_KEYS,
    CoverageError,
    coverage_csv,
    coverage_features,
    coverage_for,
)
from citywatch.resources.models import Depot, DutyPerson, Facility, RescueTeam, Shelter

pytestmark = pytest.mark.django_db

COMMUNITY_KEYS = {"shelter_point", "info_officer", "demo_shelter", "supply_station", "micro_fire_station"}


def rows_by_code(report):
    return {r["code"]: r for r in report["rows"]}


def gaps_of(report):
    return {r["code"]: set(r["gaps"]) for r in report["rows"] if not r["met"]}


def a_met_community(admin, district):
    """A community of ``district`` that meets every requirement now."""
    report = coverage_for(admin, level="community", area_code=district)
    return AdminArea.objects.get(code=next(r["code"] for r in report["rows"] if r["met"]))


def place(area):
    return area.point


def add(model, area, **fields):
    return model.objects.create(name=f"测试{model.__name__}", area=area, location=place(area), **fields)


def test_demo_city_shows_exactly_the_planned_gaps(user):
    report = coverage_for(user("city_admin"))
    assert gaps_of(report) == planned_gaps()
    summary = report["summary"]
    assert summary["by_level"]["street"]["areas"] == AdminArea.objects.filter(level="street").count()
    assert summary["by_level"]["community"]["areas"] == AdminArea.objects.filter(level="community").count()
    assert summary["with_gaps"] == len(planned_gaps())
    assert summary["areas"] == summary["met"] + summary["with_gaps"]


def test_row_shape(user):
    report = coverage_for(user("city_admin"), area_code="350203001")
    street, *communities = report["rows"]
    assert street["code"] == "350203001" and street["level"] == "street"
    assert set(street["requirements"]) == {"rescue_team"}
    assert street["parent_code"] == "350203" and street["district_name"] == "思明区"
    for row in communities:
        assert row["level"] == "community" and row["parent_code"] == "350203001"
        assert set(row["requirements"]) == COMMUNITY_KEYS
        assert all(set(v) == {"met", "count"} for v in row["requirements"].values())
        assert isinstance(row["lon"], float) and isinstance(row["lat"], float)
    assert [r["key"] for r in report["requirements"]] == list(REQUIREMENT_KEYS)


@pytest.mark.parametrize(
    ("requirement", "model", "counted", "other"),
    [
        ("info_officer", DutyPerson, {"kind": "info_officer"}, {"kind": "forest_ranger"}),
        ("supply_station", Depot, {"kind": "community_station"}, {"kind": "street"}),
        ("micro_fire_station", Facility, {"kind": "micro_fire_station"}, {"kind": "eew_terminal"}),
        ("shelter_point", Shelter, {"kind": "disaster_point"}, {"kind": "earthquake"}),
    ],
)
def test_removing_a_resource_opens_a_gap_and_adding_one_closes_it(user, requirement, model, counted, other):
    admin = user("city_admin")
    community = a_met_community(admin, "350206")
    records = model.objects.filter(area=community, **counted)
    count = records.count()
    assert count >= 1
    row = rows_by_code(coverage_for(admin, area_code=community.code))[community.code]
    assert row["requirements"][requirement] == {"met": True, "count": count}
    # Turn them into something that does not count (a shelter keeps its demonstration flag).
    records.update(**other)
    row = rows_by_code(coverage_for(admin, area_code=community.code))[community.code]
    assert row["requirements"][requirement] == {"met": False, "count": 0}
    assert row["gaps"] == [requirement] and row["met"] is False
    fill = {**counted, "capacity": 50} if model is Shelter else counted
    add(model, community, **fill)
    add(model, community, **(fill if model is not Shelter else {**fill, "kind": "comprehensive"}))
    row = rows_by_code(coverage_for(admin, area_code=community.code))[community.code]
    assert row["requirements"][requirement] == {"met": True, "count": 2} and row["met"]


def test_things_of_the_wrong_kind_do_not_count(user):
    admin = user("city_admin")
    gaps = planned_gaps()
    no_shelter = next(code for code, g in gaps.items() if "shelter_point" in g)
    no_station = next(code for code, g in gaps.items() if "supply_station" in g)
    no_micro = next(code for code, g in gaps.items() if "micro_fire_station" in g)
    add(Shelter, AdminArea.objects.get(code=no_shelter), kind="earthquake", capacity=5000)
    add(Depot, AdminArea.objects.get(code=no_station), kind="street")
    add(Facility, AdminArea.objects.get(code=no_micro), kind="eew_terminal")
    add(DutyPerson, AdminArea.objects.get(code=no_shelter), kind="forest_ranger")
    rows = rows_by_code(coverage_for(admin))
    assert rows[no_shelter]["requirements"]["shelter_point"] == {"met": False, "count": 0}
    assert rows[no_station]["requirements"]["supply_station"]["met"] is False
    assert rows[no_micro]["requirements"]["micro_fire_station"]["met"] is False


def test_demonstration_point_is_any_shelter_marked_demonstration(user):
    admin = user("city_admin")
    code = next(code for code, g in planned_gaps().items() if g == {"demo_shelter"})
    community = AdminArea.objects.get(code=code)
    row = rows_by_code(coverage_for(admin, area_code=code))[code]
    assert row["requirements"]["shelter_point"]["met"] and not row["requirements"]["demo_shelter"]["met"]
    Shelter.objects.filter(area=community).update(demonstration=True)
    row = rows_by_code(coverage_for(admin, area_code=code))[code]
    assert row["met"] and row["requirements"]["demo_shelter"]["count"] >= 1


def test_a_street_counts_teams_at_itself_and_beneath_it_only(user):
    admin = user("city_admin")
    code = next(code for code, g in planned_gaps().items() if g == {"rescue_team"})
    street = AdminArea.objects.get(code=code)

    def teams():
        return rows_by_code(coverage_for(admin, level="street"))[code]["requirements"]["rescue_team"]["count"]

    assert teams() == 0
    # A team at the district, or at a neighbouring street, does not count for this street.
    district = street.parent
    add(RescueTeam, district, kind="fire_rescue", members=10)
    neighbour = AdminArea.objects.filter(parent=district, level="street").exclude(pk=street.pk).first()
    add(RescueTeam, neighbour, kind="grassroots", members=10)
    assert not rows_by_code(coverage_for(admin, level="street"))[code]["met"]
    # A team at one of its communities does.
    community = AdminArea.objects.filter(parent=street).first()
    add(RescueTeam, community, kind="grassroots", members=12)
    row = rows_by_code(coverage_for(admin, level="street"))[code]
    assert row["requirements"]["rescue_team"] == {"met": True, "count": 1}
    add(RescueTeam, street, kind="social", members=30, core_members=10)
    assert teams() == 2
    # The team at the community is not counted as a community requirement.
    assert (
        "rescue_team"
        not in rows_by_code(coverage_for(admin, area_code=community.code))[community.code]["requirements"]
    )


def test_street_count_matches_teams_under_its_path(user):
    admin = user("city_admin")
    for row in coverage_for(admin, level="street", area_code="350211")["rows"]:
        street = AdminArea.objects.get(code=row["code"])
        expected = RescueTeam.objects.filter(area__path__startswith=street.path).count()
        assert row["requirements"]["rescue_team"]["count"] == expected


def test_filters_level_area_and_only_gaps(user):
    admin = user("city_admin")
    streets = coverage_for(admin, level="street")
    assert {r["level"] for r in streets["rows"]} == {"street"}
    assert [r["key"] for r in streets["requirements"]] == ["rescue_team"]
    assert set(streets["summary"]["by_requirement"]) == {"rescue_team"}
    tongan = coverage_for(admin, area_code="350212")
    assert tongan["rows"] and all(r["district_code"] == "350212" for r in tongan["rows"])
    assert tongan["scope"]["area_name"] == "同安区"
    gaps = coverage_for(admin, only_gaps=True)
    assert {r["code"] for r in gaps["rows"]} == set(planned_gaps())
    assert gaps["summary"] == coverage_for(admin)["summary"]
    one = coverage_for(admin, area_code=next(iter(planned_gaps())))
    assert len(one["rows"]) >= 1


def test_the_report_is_a_handful_of_queries(user, django_assert_max_num_queries):
    admin = user("city_admin")
    admin.has_perm("resources.view_shelter")  # warm the permission cache
    with django_assert_max_num_queries(12):
        report = coverage_for(admin)
    assert len(report["rows"]) > 600


def test_jurisdiction(user):
    siming, huli = user("siming_officer"), user("huli_officer")
    mine = coverage_for(siming)
    assert mine["rows"] and {r["district_code"] for r in mine["rows"]} == {"350203"}
    assert (
        mine["summary"]["areas"]
        == AdminArea.objects.filter(
            path__startswith="350200.350203.", level__in=["street", "community"]
        ).count()
    )
    assert {r["district_code"] for r in coverage_for(huli)["rows"]} == {"350206"}
    with pytest.raises(Http404):
        coverage_for(siming, area_code="350206")
    with pytest.raises(Http404):
        coverage_for(siming, area_code="350206001")
    assert coverage_for(siming, area_code="350203001")["rows"]


def test_a_district_officer_sees_new_records_of_their_district_only(user):
    """A record added in Siming counts in the Siming officer's report; Huli's report never shows Siming."""
    siming = user("siming_officer")
    community = a_met_community(user("city_admin"), "350203")
    before = rows_by_code(coverage_for(siming, area_code=community.code))[community.code]
    add(DutyPerson, community, kind="info_officer")
    after = rows_by_code(coverage_for(siming, area_code=community.code))[community.code]
    assert (
        after["requirements"]["info_officer"]["count"] == 1 + before["requirements"]["info_officer"]["count"]
    )
    huli_row = coverage_for(user("huli_officer"))["rows"]
    assert community.code not in {r["code"] for r in huli_row}


def test_permissions(user):
    with pytest.raises(PermissionDenied):
        coverage_for(user("team_leader"))  # may not view duty people
    with pytest.raises(PermissionDenied):
        coverage_for(None)
    with pytest.raises(CoverageError):
        coverage_for(user("city_admin"), level="district")


def test_csv(user):
    rows = coverage_for(user("city_admin"), area_code="350213")["rows"]
    text = coverage_csv(rows)
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text[1:])))
    assert len(table) == len(rows)
    by_code = {r["code"]: r for r in table}
    for code, gaps in planned_gaps().items():
        if code.startswith("350213"):
            line = by_code[code]
            assert line["met"] == "no" and set(line["gaps"].split(";")) == gaps
            for key in gaps:
                assert line[f"{key}_met"] == "no" and line[f"{key}_count"] == "0"
    street = next(r for r in table if r["level"] == "street")
    assert street["shelter_point_met"] == "" and street["rescue_team_met"] in ("yes", "no")
    community = next(r for r in table if r["level"] == "community" and r["met"] == "yes")
    assert community["rescue_team_count"] == "" and int(community["info_officer_count"]) >= 1


def test_csv_neutralises_formulas():
    row = {
        "code": "350203001",
        "name": '=HYPERLINK("x")',
        "level": "street",
        "parent_code": "350203",
        "parent_name": "@x",
        "district_code": "350203",
        "district_name": "思明区",
        "lon": -1.5,
        "lat": 2.0,
        "requirements": {"rescue_team": {"met": True, "count": 1}},
        "gaps": [],
        "met": True,
    }
    line = list(csv.DictReader(io.StringIO(coverage_csv([row])[1:])))[0]
    assert line["name"] == '\'=HYPERLINK("x")' and line["parent_name"] == "'@x" and line["lon"] == "-1.5"


def test_features():
    row = {
        "code": "1",
        "name": "a",
        "level": "community",
        "parent_code": "2",
        "parent_name": "b",
        "district_code": "3",
        "district_name": "c",
        "lon": None,
        "lat": None,
        "requirements": {"info_officer": {"met": False, "count": 0}},
        "gaps": ["info_officer"],
        "met": False,
    }
    fc = coverage_features([row])
    assert fc["features"][0]["geometry"] is None
    assert fc["features"][0]["properties"]["info_officer_met"] is False


# --- API ---------------------------------------------------------------------------------------------


def test_api_json(city_admin):
    r = city_admin.get("/api/v1/coverage")
    assert r.status_code == 200, r.content
    body = r.json()
    assert {row["code"]: set(row["gaps"]) for row in body["rows"] if not row["met"]} == planned_gaps()
    assert body["summary"]["by_level"]["community"]["areas"] == 555
    r = city_admin.get("/api/v1/coverage", {"level": "community", "only_gaps": "true", "area_code": "350213"})
    assert r.status_code == 200
    codes = {row["code"] for row in r.json()["rows"]}
    assert codes == {c for c in planned_gaps() if c.startswith("350213") and len(c) == 12}


def test_api_geojson_marks_the_gaps(city_admin):
    r = city_admin.get("/api/v1/coverage", {"format": "geojson"})
    assert r.status_code == 200
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and fc["summary"]["with_gaps"] == len(planned_gaps())
    red = {f["properties"]["code"] for f in fc["features"] if not f["properties"]["met"]}
    assert red == set(planned_gaps())
    feature = fc["features"][0]
    assert feature["geometry"]["type"] == "Point" and len(feature["geometry"]["coordinates"]) == 2
    gap = next(f for f in fc["features"] if f["properties"]["code"] in planned_gaps())
    assert gap["properties"]["gap_count"] >= 1 and gap["properties"]["gaps"]


def test_api_geojson_pages_like_the_other_layers(city_admin):
    total = city_admin.get("/api/v1/coverage", {"format": "geojson"}).json()["numberMatched"]
    assert total == AdminArea.objects.filter(level__in=["street", "community"]).count()
    first = city_admin.get("/api/v1/coverage", {"format": "geojson", "limit": 500, "offset": 0}).json()
    rest = city_admin.get("/api/v1/coverage", {"format": "geojson", "limit": 500, "offset": 500}).json()
    assert first["numberReturned"] == 500 and rest["numberReturned"] == total - 500
    assert first["numberMatched"] == rest["numberMatched"] == total
    codes = [f["id"] for f in first["features"] + rest["features"]]
    assert len(set(codes)) == total
    body = city_admin.get("/api/v1/coverage", {"limit": 10}).json()
    assert len(body["rows"]) == 10 and body["count"] == total and body["summary"]["areas"] == total


def test_api_csv(siming):
    r = siming.get("/api/v1/coverage", {"format": "csv", "area_code": "350203"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    assert 'filename="coverage-350203.csv"' in r["Content-Disposition"]
    text = r.content.decode("utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert len(lines) == 109 and {line["district_code"] for line in lines} == {"350203"}


def test_api_jurisdiction(siming, huli):
    codes = {row["code"] for row in siming.get("/api/v1/coverage").json()["rows"]}
    assert codes and all(c.startswith("350203") for c in codes)
    assert siming.get("/api/v1/coverage", {"area_code": "350206"}).status_code == 404
    assert huli.get("/api/v1/coverage", {"area_code": "350206001"}).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"level": "district"},
        {"level": ""},
        {"only_gaps": "maybe"},
        {"format": "xml"},
        {"area_code": "abc"},
        {"area_code": "1" * 40},
        {"area_code": "'; drop table x; --"},
        {"limit": 0},
        {"offset": -1},
        {"limit": "many"},
    ],
)
def test_api_bad_params_are_422(city_admin, params):
    r = city_admin.get("/api/v1/coverage", params)
    assert r.status_code == 422, (params, r.status_code, r.content)
    assert r.json()["error"]["code"] == "validation_error"


def test_api_unknown_area_is_404_and_roles(city_admin, anon, team_leader, inspector):
    assert city_admin.get("/api/v1/coverage", {"area_code": "999999"}).status_code == 404
    assert anon.get("/api/v1/coverage").status_code == 401
    assert team_leader.get("/api/v1/coverage").status_code == 403
    assert inspector.get("/api/v1/coverage").status_code == 200
