"""Every record has a stable id in exchange files, so exporting and re-importing never duplicates.

A record made without an external id (a form, the API, a file row without one) gets one generated once
(``cw-`` + 16 hex digits) when it is first saved; exports carry it; a re-import of the export in any
format (CSV, XLSX, GeoJSON, GeoPackage) matches every row and changes nothing. Supply items are matched
by their required ``code``.
"""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.django_db

SIMING = "350203"
PLACE = {"lon": 118.09, "lat": 24.45, "area_code": SIMING}
GENERATED = re.compile(r"cw-[0-9a-f]{16}")

# Two records of each kind, as a form or an API client makes them: no external id.
RECORDS = {
    "rescue-teams": [
        {"name": "无编号救援队甲", "kind": "social", "members": 12, **PLACE},
        {
            "name": "无编号救援队乙",
            "kind": "social",
            "members": 8,
            "equipment": [{"name": "冲锋舟", "quantity": 2, "unit": "艘"}],
            **PLACE,
        },
    ],
    "depots": [
        {"name": "无编号仓库甲", "kind": "district", **PLACE},
        {"name": "无编号仓库乙", "kind": "street", **PLACE},
    ],
    "medical-facilities": [
        {"name": "无编号医院甲", "level": "2", "beds": 100, "emergency_department": True, **PLACE},
        {"name": "无编号医院乙", "level": "3a", **PLACE},
    ],
    "shelters": [
        {"name": "无编号避难场所甲", "kind": "earthquake", "capacity": 500, "facilities": ["water"], **PLACE},
        {"name": "=无编号避难场所乙", "kind": "disaster_point", "capacity": 80, **PLACE},
    ],
    "experts": [
        {"name": "无编号专家甲", "category": "flood_drought", "area_code": SIMING},
        {"name": "无编号专家乙", "category": "forest_fire", **PLACE},
    ],
    "facilities": [
        {"name": "无编号直升机起降点", "kind": "helipad", **PLACE},
        {"name": "无编号检查站", "kind": "fire_checkpoint", "capacity": 4, **PLACE},
    ],
    "duty-people": [
        {"name": "无编号信息员", "kind": "info_officer", "area_code": SIMING},
        {"name": "无编号护林员", "kind": "forest_ranger", **PLACE},
    ],
}
FORMATS = ["csv", "xlsx", "geojson", "gpkg"]


def made_through_the_api(client):
    """Records of every kind made without an external id; returns {kind: [ids]}."""
    made = {}
    for kind, bodies in RECORDS.items():
        made[kind] = []
        for body in bodies:
            response = client.post(
                f"/api/v1/resources/{kind}/", json.dumps(body), content_type="application/json"
            )
            assert response.status_code == 201, (kind, response.content)
            made[kind].append(response.json()["id"])
    return made


def snapshot(kind_slug, user=None):
    """Every record of the kind that ``user`` may view (None: all) as the exchange columns describe it,
    by database id."""
    from citywatch.resources.kinds import get_kind
    from citywatch.resources.serializers import record

    kind = get_kind(kind_slug)
    qs = kind.model.objects.all() if user is None else kind.model.objects.restrict(user, "view")
    return {obj.pk: record(kind, obj) for obj in qs.order_by("pk")}


def test_records_made_without_an_id_get_one_once(city_admin):
    from citywatch.resources.kinds import get_kind

    made = made_through_the_api(city_admin)
    for kind, ids in made.items():
        model = get_kind(kind).model
        external = list(model.objects.filter(pk__in=ids).order_by("pk").values_list("external_id", flat=True))
        assert all(GENERATED.fullmatch(e or "") for e in external), (kind, external)
        assert len(set(external)) == len(ids)
        # Saving again keeps it; so does an edit.
        patched = city_admin.patch(
            f"/api/v1/resources/{kind}/{ids[0]}",
            json.dumps({"notes": "edited"}),
            content_type="application/json",
        )
        assert patched.status_code == 200, patched.content
        assert model.objects.get(pk=ids[0]).external_id == external[0]


def test_clearing_the_id_gives_a_new_one(city_admin):
    from citywatch.resources.models import Shelter

    made = made_through_the_api(city_admin)
    pk = made["shelters"][0]
    old = Shelter.objects.get(pk=pk).external_id
    response = city_admin.patch(
        f"/api/v1/resources/shelters/{pk}", json.dumps({"external_id": ""}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    new = Shelter.objects.get(pk=pk).external_id
    assert GENERATED.fullmatch(new) and new != old


def test_an_id_given_by_the_user_is_kept(city_admin):
    from citywatch.resources.models import Depot

    body = {"name": "有编号仓库", "kind": "district", "external_id": "CK-0001", **PLACE}
    response = city_admin.post("/api/v1/resources/depots/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    assert Depot.objects.get(pk=response.json()["id"]).external_id == "CK-0001"


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_import_changes_nothing_in_every_format(city_admin, user, tmp_path, fmt):
    """Every kind, exported and imported again by the district officer of 思明区 (their records: the new
    ones and the demo's), supply items by the operator."""
    from citywatch.resources.exchange import export_records
    from citywatch.resources.importers import import_file
    from citywatch.resources.kinds import KINDS

    made_through_the_api(city_admin)
    siming = user("siming_officer")
    for slug, kind in KINDS.items():
        acting = siming if kind.located else None
        before, total = snapshot(slug, acting), kind.model.objects.count()
        assert before, slug
        data, _content_type, name = export_records(slug, acting, fmt)
        path = tmp_path / name
        path.write_bytes(data)
        report = import_file(slug, path, user=acting)
        assert (report.created, report.updated, report.unchanged) == (0, 0, len(before)), (
            slug,
            report.summary(),
        )
        assert snapshot(slug, acting) == before and kind.model.objects.count() == total, slug


def test_a_regional_export_re_imports_through_the_api(siming, tmp_path):
    """A district officer exports their records and uploads the file again: nothing new, nothing changed."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from citywatch.resources.models import Shelter

    made = [
        siming.post("/api/v1/resources/shelters/", json.dumps(body), content_type="application/json")
        for body in RECORDS["shelters"]
    ]
    assert all(r.status_code == 201 for r in made)
    count = Shelter.objects.count()
    for fmt in FORMATS:
        exported = siming.get("/api/v1/resources/shelters/export", {"format": fmt})
        assert exported.status_code == 200
        upload = SimpleUploadedFile(
            f"shelters.{fmt}",
            b"".join(exported.streaming_content) if exported.streaming else exported.content,
        )
        response = siming.post("/api/v1/resources/shelters/import", {"file": upload})
        assert response.status_code == 200, (fmt, response.content[:500])
        body = response.json()
        assert body["created"] == 0 and body["updated"] == 0 and body["unchanged"] > 0, (fmt, body)
    assert Shelter.objects.count() == count


def test_existing_records_without_an_id_get_one_from_the_migration(city_admin):
    """The migration's function, run over rows saved without an id (as before this version)."""
    import importlib

    from django.apps import apps

    from citywatch.resources.models import RescueTeam

    made = made_through_the_api(city_admin)
    RescueTeam.objects.filter(pk__in=made["rescue-teams"]).update(external_id=None)
    migration = importlib.import_module("citywatch.resources.migrations.0002_external_ids")
    migration.fill(apps, None)
    ids = list(RescueTeam.objects.filter(pk__in=made["rescue-teams"]).values_list("external_id", flat=True))
    assert all(GENERATED.fullmatch(i or "") for i in ids) and len(set(ids)) == 2
    assert not RescueTeam.objects.filter(external_id__isnull=True).exists()
