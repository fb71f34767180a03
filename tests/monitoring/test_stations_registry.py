"""The station registry: create and change stations through the API (GCJ-02 / BD-09 input converted,
the area found from the point, jurisdiction enforced, the change log written), export and re-import
(CSV, XLSX, GeoJSON), a bad file refused with every problem and nothing written, data sources with their
health."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from citywatch.core.models import ObjectChange
from citywatch.geo import crs
from citywatch.monitoring.models import Station
from tests.monitoring.stations_support import source_in, station_in
from tests.support.places import HULI, SIMING, place

pytestmark = pytest.mark.django_db
BASE = "/api/v1/monitoring"


def test_a_station_entered_in_gcj02_is_stored_in_wgs84_in_the_area_of_its_point(siming):
    source = source_in()
    lon, lat = place(SIMING)
    glon, glat = (float(v) for v in crs.wgs84_to_gcj02(lon, lat))
    body = {"source": source.code, "external_id": "G-1", "name": "滨海雨量站", "kind": "rain_gauge",
            "lon": glon, "lat": glat, "crs": "gcj02", "elevation_m": 12.5}  # fmt: skip
    response = siming.post(f"{BASE}/stations/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    out = response.json()
    assert abs(out["lon"] - lon) < 1e-6 and abs(out["lat"] - lat) < 1e-6 and out["input_crs"] == "gcj02"
    assert out["area_code"].startswith(SIMING) and out["kind_label"] == "雨量站" or out["kind_label"]
    assert out["state"] == "stale" and out["latest"] == [] and out["source"] == source.code
    station = Station.objects.get(pk=out["id"])
    created = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Station), object_id=str(station.pk)
    )
    assert created.count() == 1 and created.get().user.username == "siming_officer"

    # The same external id in the same source: 409, nothing written.
    again = siming.post(f"{BASE}/stations/", body, content_type="application/json")
    assert again.status_code == 409 and Station.objects.count() == 1
    changed = siming.patch(
        f"{BASE}/stations/{station.pk}", {"name": "滨海雨量站（改）"}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["name"] == "滨海雨量站（改）"
    assert created.count() == 2


def test_jurisdiction(siming, huli):
    station = station_in(SIMING)
    assert huli.get(f"{BASE}/stations/{station.pk}").status_code == 404
    assert station.pk not in [s["id"] for s in huli.get(f"{BASE}/stations/?limit=1000").json()["items"]]
    assert siming.get(f"{BASE}/stations/{station.pk}").status_code == 200
    # A point in Huli is outside the Siming officer's jurisdiction: refused with the reason.
    lon, lat = place(HULI)
    body = {"source": station.source.code, "external_id": "H-1", "name": "湖里站", "kind": "tide",
            "lon": lon, "lat": lat}  # fmt: skip
    response = siming.post(f"{BASE}/stations/", body, content_type="application/json")
    assert response.status_code == 422
    assert any(d["column"] in ("lon", "area_code") for d in response.json()["error"]["details"])
    assert not Station.objects.filter(external_id="H-1").exists()


def test_bad_records_are_refused_with_every_problem(city_admin):
    source = source_in()
    body = {"source": "no-such", "external_id": "a/b", "name": "", "kind": "volcano", "lon": 200, "lat": 24.4}
    response = city_admin.post(f"{BASE}/stations/", body, content_type="application/json")
    assert response.status_code == 422
    columns = {d["column"] for d in response.json()["error"]["details"]}
    assert {"source", "external_id", "kind"} <= columns
    assert not Station.objects.exists() and source.pk


def _rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_export_reimports_unchanged_and_a_bad_file_writes_nothing(city_admin):
    station_in(SIMING, "E-1")
    station_in(HULI, "E-2", kind="tide")
    for fmt in ("csv", "xlsx", "geojson"):
        response = city_admin.get(f"{BASE}/stations/export", {"format": fmt})
        assert response.status_code == 200
        name = f"stations.{fmt}"
        upload = SimpleUploadedFile(name, response.content)
        report = city_admin.post(f"{BASE}/stations/import", {"file": upload})
        assert report.status_code == 200, report.json()
        assert report.json()["unchanged"] == 2 and report.json()["created"] == 0, (fmt, report.json())
    exported = city_admin.get(f"{BASE}/stations/export", {"format": "csv"}).content
    rows = _rows(exported)
    assert {r["external_id"] for r in rows} == {"E-1", "E-2"} and rows[0]["source"] == "test-siming"

    # A file with a new station (Chinese headers, BD-09, no area code) and a bad row: nothing is written.
    lon, lat = place(SIMING)
    blon, blat = (float(v) for v in crs.to_bd09(lon, lat)) if hasattr(crs, "to_bd09") else (
        float(v) for v in crs.gcj02_to_bd09(*crs.wgs84_to_gcj02(lon, lat)))  # fmt: skip
    text = "数据源,外部编号,名称,类型,经度,纬度\n"
    text += f"test-siming,N-1,新站,rain_gauge,{blon},{blat}\n"
    text += "test-siming,N-2,坏站,rain_gauge,abc,24.4\n"
    bad = city_admin.post(f"{BASE}/stations/import", {"file": SimpleUploadedFile("s.csv", text.encode())})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["row"] == 3
    assert not Station.objects.filter(external_id__in=["N-1", "N-2"]).exists()
    good = text.splitlines()[:2]
    ok = city_admin.post(
        f"{BASE}/stations/import",
        {"file": SimpleUploadedFile("s.csv", ("\n".join(good) + "\n").encode()), "crs": "bd09"},
    )
    assert ok.status_code == 200 and ok.json()["created"] == 1
    new = Station.objects.get(external_id="N-1")
    assert (
        abs(new.location.x - lon) < 1e-6 and new.area.path.split(".")[1] == SIMING and new.input_crs == "bd09"
    )


def test_the_geojson_list_carries_each_stations_state(city_admin):
    station_in(SIMING, "J-1")
    collection = city_admin.get(f"{BASE}/stations/", {"format": "geojson"}).json()
    assert collection["type"] == "FeatureCollection" and collection["numberMatched"] == 1
    feature = collection["features"][0]
    assert feature["geometry"]["type"] == "Point" and feature["properties"]["state"] == "stale"
    stale = city_admin.get(f"{BASE}/stations/", {"format": "geojson", "state": "stale"}).json()
    assert stale["numberMatched"] == 1
    assert city_admin.get(f"{BASE}/stations/", {"state": "red"}).json()["count"] == 0


def test_sources_with_their_health(city_admin, siming, huli):
    station_in(SIMING, "S-1")
    response = siming.get(f"{BASE}/sources/")
    assert response.status_code == 200
    (source,) = [s for s in response.json()["items"] if s["code"] == "test-siming"]
    assert source["health"] == {**source["health"], "stations": 1, "stale": 1, "state": "down"}
    assert huli.get(f"{BASE}/sources/{source['id']}").status_code == 404
    created = city_admin.post(
        f"{BASE}/sources/",
        {"code": "new-feed", "name": "新数据源", "department": "市某局", "expected_interval_minutes": 10},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["area_code"] == "350200"
    renamed = city_admin.patch(
        f"{BASE}/sources/{created.json()['id']}", {"code": "other"}, content_type="application/json"
    )
    assert renamed.status_code == 422
    bad = city_admin.post(
        f"{BASE}/sources/",
        {"code": "Bad Code", "name": "x", "department": "y"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and json.dumps(bad.json())
