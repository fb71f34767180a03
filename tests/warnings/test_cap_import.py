"""CAP in: real published alerts import as official warnings; hostile and invalid documents are refused
with the rule that failed and nothing is stored; Update and Cancel find the alert they reference; an
alert already held is not imported twice."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from shapely.geometry import Polygon as ShapelyPolygon

from citywatch.core.models import AdminArea
from citywatch.notify.models import Message
from citywatch.warnings import cap
from citywatch.warnings.choices import Source, WarningStatus
from citywatch.warnings.models import Warning, WarningVersion
from tests.warnings.conftest import fixture_bytes

URL = "/api/v1/warnings/cap"
SENDER = "xmqx@fj.cma.gov.cn"


def post(client, data: bytes, content_type="application/cap+xml"):
    return client.post(URL, data, content_type=content_type)


def counts():
    return Warning.objects.count(), WarningVersion.objects.count(), Message.objects.count()


def official(msg_type=cap.MsgType.ALERT, *, number=1, references=(), level="yellow", code="350212", **kw):
    sent = timezone.localtime().replace(microsecond=0) + datetime.timedelta(seconds=number)
    box = ShapelyPolygon([(118.1, 24.7), (118.3, 24.7), (118.3, 24.8), (118.1, 24.8)])
    area = cap.area_from_geometry("同安区", box, geocodes=(cap.division_geocode(code),))
    common = {
        "level": level,
        "observed": False,
        "areas": (area,),
        "onset": kw.get("onset", sent),
        "expires": kw.get("expires", sent + datetime.timedelta(hours=12)),
    }
    zh = cap.signal_info(language="zh-CN", event="暴雨", headline=f"同安区暴雨{level}预警", **common)
    en = cap.signal_info(language="en", event="Rainstorm", headline="Rainstorm warning", **common)
    return cap.write_alert(
        cap.Alert(
            identifier=f"FJQX-2026-{number}",
            sender=SENDER,
            sent=sent,
            status=kw.get("status", cap.Status.ACTUAL),
            msg_type=msg_type,
            scope=cap.Scope.PUBLIC,
            references=references,
            infos=(zh, en),
        )
    )


def ref(number: int, data: bytes) -> cap.Reference:
    alert = cap.read_alert(data)
    return cap.Reference(alert.sender, alert.identifier, alert.sent)


@pytest.mark.django_db
def test_a_real_alert_imports_as_an_official_warning_once(city_admin):
    before = counts()
    response = post(city_admin, fixture_bytes("samples/heavy_rain.xml"))
    assert response.status_code == 201, response.content[:500]
    body = response.json()
    assert body["created"] is True
    warning = Warning.objects.get(pk=body["warning"]["id"])
    assert warning.source == Source.OFFICIAL
    assert warning.hazard.code == "rainstorm"
    assert warning.polygons is not None or warning.areas.exists()
    # the document is kept whole: every info block
    version = warning.versions.get()
    assert len(cap.read_alert(version.cap.encode()).infos) == len(
        cap.read_alert(fixture_bytes("samples/heavy_rain.xml")).infos
    )
    again = post(city_admin, fixture_bytes("samples/heavy_rain.xml"))
    assert again.status_code == 200 and again.json()["created"] is False
    assert counts()[:2] == (before[0] + 1, before[1] + 1)


@pytest.mark.django_db
def test_circles_and_multilanguage_samples_import(city_admin):
    expected = {
        "testdata/australia.cap": "other",  # a structure fire: no hazard type of ours
        "samples/TropicalCyclone20150806.xml": "typhoon",
        "samples/Severe_Thunderstorm_Warning.xml": "thunderstorm",
    }
    for name, hazard in expected.items():
        response = post(city_admin, fixture_bytes(name))
        assert response.status_code == 201, (name, response.content[:500])
        warning = Warning.objects.get(pk=response.json()["warning"]["id"])
        assert warning.hazard.code == hazard, name
        assert warning.polygons is not None, name  # polygons and circles became the warning's area


@pytest.mark.django_db
def test_an_alert_without_a_level_is_refused(city_admin):
    # a real earthquake information message (ISO-8859-1) with severity Unknown: no signal level to file
    response = post(city_admin, fixture_bytes("testdata/earthquake-iso8859-1.cap"))
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["rule"] == "level-unknown"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("testdata/xee.cap", "external-entity"),
        ("testdata/invalid.cap", "schema"),
        ("testdata/noaa_errors.cap", "schema"),
        ("testdata/canada_errors.cap", "references-required"),
        ("testdata/weather.atom", "not-cap"),
        ("samples/Flood.xml", "expires-before-effective"),
        ("testdata/wcatwc-warning.cap", "references-unknown"),
        ("samples/Myanmar-Flood-MultiLanguage_MultipleArea.xml", "status-not-imported"),
        ("testdata/weather.cap", "area-unknown"),  # SAME geocodes only: no place of ours, no polygon
    ],
)
def test_hostile_and_invalid_documents_are_refused_with_the_rule(city_admin, name, rule):
    before = counts()
    response = post(city_admin, fixture_bytes(name))
    assert response.status_code == 422, response.content[:300]
    error = response.json()["error"]
    assert rule in {d["rule"] for d in error["details"]}, error
    assert counts() == before


@pytest.mark.django_db
def test_entity_bomb_malformed_and_open_polygon_are_refused(city_admin):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">&lol2;</alert>'
    )
    open_ring = official(number=90).replace(b"<polygon>", b"<polygon>24.0,118.0 ", 1)
    before = counts()
    for data, rule in (
        (bomb, "entity-declaration"),
        (b"<alert><oops", "malformed-xml"),
        (open_ring, "polygon"),
    ):
        response = post(city_admin, data)
        assert response.status_code == 422
        rules = {d["rule"] for d in response.json()["error"]["details"]}
        assert any(r.startswith(rule) for r in rules), rules
    assert counts() == before
    assert post(city_admin, b"<alert/>", content_type="application/json").status_code == 415


@pytest.mark.django_db
def test_expiry_before_onset_and_unknown_place_are_refused(city_admin):
    now = timezone.localtime().replace(microsecond=0)
    valid = official(number=91, onset=now, expires=now + datetime.timedelta(hours=1))
    late = cap.format_datetime(now + datetime.timedelta(hours=5))
    backwards = valid.replace(
        f"<onset>{cap.format_datetime(now)}</onset>".encode(), f"<onset>{late}</onset>".encode()
    )
    assert backwards != valid
    before = counts()
    response = post(city_admin, backwards)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["rule"] == "expires-before-onset"
    assert counts() == before


@pytest.mark.django_db
def test_update_and_cancel_chain(city_admin):
    first = official(number=1, level="yellow")
    response = post(city_admin, first)
    assert response.status_code == 201
    warning = Warning.objects.get(pk=response.json()["warning"]["id"])
    assert warning.status == WarningStatus.ISSUED and warning.level == "yellow"
    assert list(warning.areas.values_list("code", flat=True)) == ["350212"]
    assert Message.objects.filter(kind="warning.issued").exists()

    second = official(cap.MsgType.UPDATE, number=2, level="orange", references=(ref(1, first),))
    assert post(city_admin, second).status_code == 201
    warning.refresh_from_db()
    assert warning.level == "orange" and warning.versions.count() == 2
    assert warning.versions.get(number=2).change == "upgrade"
    assert Message.objects.filter(kind="warning.updated").exists()

    third = official(cap.MsgType.CANCEL, number=3, references=(ref(1, first), ref(2, second)))
    assert post(city_admin, third).status_code == 201
    warning.refresh_from_db()
    assert warning.status == WarningStatus.LIFTED
    assert Message.objects.filter(kind="warning.lifted").exists()
    # a second Cancel of a lifted warning is a conflict, and nothing changes
    fourth = official(cap.MsgType.CANCEL, number=4, references=(ref(1, first),))
    assert post(city_admin, fourth).status_code == 409
    assert warning.versions.count() == 3


@pytest.mark.django_db
def test_import_needs_the_right_and_an_area(inspector, city_admin):
    assert post(inspector, official(number=7)).status_code == 403
    assert AdminArea.objects.filter(code="350212").exists()
