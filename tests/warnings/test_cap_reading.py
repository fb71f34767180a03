"""Real CAP documents that should be accepted are read into the model with the values they carry.

Expected values were read off the fixtures by eye (see tests/fixtures/cap/PROVENANCE.md for where
each comes from and what the library that published them expects of it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from shapely.geometry import Point

from citywatch.warnings import cap
from tests.warnings.conftest import fixture_bytes

VALID = [
    "samples/Homeland_Sec_Adv.xml",
    "samples/Maldives-Tsunami-MultiLanguage.xml",
    "samples/Myanmar-Flood-MultiLanguage_MultipleArea.xml",
    "samples/Philippines-Tropical-Cyclone-MultiLanguage.xml",
    "samples/Severe_Thunderstorm_Warning.xml",
    "samples/TropicalCyclone20150806.xml",
    "samples/TropicalCyclone20150808.xml",
    "samples/heavy_rain.xml",
    "testdata/australia.cap",
    "testdata/canada.cap",
    "testdata/canada_signed.cap",
    "testdata/earthquake-iso8859-1.cap",
    "testdata/earthquake.cap",
    "testdata/earthquake_signed.cap",
    "testdata/no_optional_fields.cap",
    "testdata/wcatwc-warning.cap",
    "testdata/weather.cap",
    "testdata/validator-examples/thunderstorm.cap",
    "testdata/validator-examples/43b080713727.cap",
    "testdata/validator-examples/KAR0-0306112239-SW.cap",
]


@pytest.mark.parametrize("name", VALID)
def test_valid_documents_are_read(name):
    report = cap.check_alert(fixture_bytes(name))
    assert report.ok, [str(p) for p in report.problems]
    assert report.errors == ()
    assert isinstance(report.alert, cap.Alert)
    assert cap.read_alert(fixture_bytes(name)) == report.alert


def test_multilingual_alert_keeps_every_info_and_area():
    alert = cap.read_alert(fixture_bytes("samples/Myanmar-Flood-MultiLanguage_MultipleArea.xml"))
    assert alert.identifier == "MyanmarDMH-2.49.0.0.104.0-20160221-058-alert"
    assert alert.status is cap.Status.TEST and alert.scope is cap.Scope.RESTRICTED
    assert alert.restriction == "DMH"
    assert alert.languages == ("en-US", "my")  # the first info has no <language>: the schema's default
    english, burmese = alert.infos
    assert [a.area_desc for a in english.areas] == ["Magway", "Bago river basin"]
    assert [a.area_desc for a in burmese.areas] == ["Magway", "Bago river basin"]
    assert english.categories == (cap.Category.MET, cap.Category.ENV, cap.Category.INFRA)
    assert english.parameters[0] == cap.ValuePair("event type", "Flood")
    assert burmese.headline == "ျမစ္ေရႀကီးျခင္း သတိေပးခ်က္ (မေကြး)"
    assert english.effective == datetime(2015, 9, 8, 5, 30, 25, tzinfo=UTC)
    magway = english.areas[0].polygons[0]
    assert magway.points[0] == cap.LatLon(17.461, 96.267)
    assert magway.points[0] == magway.points[-1] and len(magway.points) == 6
    # shapely geometries are lon/lat: the first vertex is (96.267, 17.461)
    shape = english.areas[0].geometry()
    assert shape.is_valid
    assert (96.267, 17.461) in list(shape.exterior.coords)
    assert shape.contains(Point(96.4, 17.45))
    # the instruction keeps its carriage returns (written as &#13;)
    assert "\r\n" in english.instruction


def test_bilingual_canadian_update_keeps_both_infos_all_polygons_and_geocodes():
    alert = cap.read_alert(fixture_bytes("testdata/canada.cap"))
    assert alert.msg_type is cap.MsgType.UPDATE
    assert alert.identifier == "2.49.0.1.124.6bddbc91.2012"
    assert alert.references == (
        cap.Reference(
            "cap@ec.gc.ca", "2.49.0.1.124.a3f342a4.2012", datetime(2012, 5, 2, 21, 45, 5, tzinfo=UTC)
        ),
        cap.Reference(
            "cap@ec.gc.ca", "2.49.0.1.124.60f31a3a.2012", datetime(2012, 5, 2, 21, 55, 21, tzinfo=UTC)
        ),
    )
    assert alert.languages == ("en-CA", "fr-CA")
    polygons = [p for info in alert.infos for area in info.areas for p in area.polygons]
    geocodes = [g for info in alert.infos for area in info.areas for g in area.geocodes]
    assert len(polygons) == 4
    assert len(geocodes) == 26
    assert all(p.points[0] == p.points[-1] for p in polygons)


def test_circles_geocodes_and_resources_of_an_australian_alert():
    alert = cap.read_alert(fixture_bytes("testdata/australia.cap"))
    assert alert.identifier == "tag:www.rfs.nsw.gov.au2011-10-06:40184"
    assert alert.languages == ("en-AU",)
    assert len(alert.infos) == 2
    circles = [c for info in alert.infos for area in info.areas for c in area.circles]
    assert circles == [cap.Circle(cap.LatLon(-35.3888, 147.0598), 25.0)] * 2
    assert sum(len(a.geocodes) for i in alert.infos for a in i.areas) == 2
    assert sum(len(i.resources) for i in alert.infos) == 2


def test_iso_8859_1_document_is_decoded():
    alert = cap.read_alert(fixture_bytes("testdata/earthquake-iso8859-1.cap"))
    area = alert.infos[0].areas[0]
    assert "Usulután" in area.area_desc
    assert area.circles == (cap.Circle(cap.LatLon(12.747, -88.783), 0.0),)
    # a zero radius is a point, lon/lat
    assert area.geometry().equals(Point(-88.783, 12.747))


def test_cap_11_is_read_under_the_12_rules_and_said_so():
    report = cap.check_alert(fixture_bytes("testdata/earthquake.cap"))
    assert report.ok and report.cap_version == "1.1"
    assert "cap11-upgraded" in [w.rule for w in report.warnings]
    alert = report.alert
    assert alert.sender == "http://earthquake.usgs.gov/research/monitoring/anss/neic/"
    assert alert.codes == ("IPAWSv1.0",)
    assert len(alert.infos) == 1
    assert alert.sent == datetime(2010, 8, 31, 0, 9, 25, tzinfo=timezone(-timedelta(hours=5)))
    assert alert.infos[0].event_codes == (cap.ValuePair("SAME", "EQW"),)


def test_geocodes_event_codes_and_parameters_are_kept_in_order():
    alert = cap.read_alert(fixture_bytes("samples/Severe_Thunderstorm_Warning.xml"))
    info = alert.infos[0]
    assert info.event_codes == (cap.ValuePair("SAME", "SVR"),)
    assert info.areas[0].geocode_values("SAME") == ("006109", "006009", "006003")
    assert info.areas[0].polygons[0].points[1] == cap.LatLon(38.34, -119.95)


def test_an_area_without_geometry_has_none():
    alert = cap.read_alert(fixture_bytes("samples/Homeland_Sec_Adv.xml"))
    info = alert.infos[0]
    assert info.parameter_values("HSAS") == ("ORANGE",)
    assert info.resources == (
        cap.Resource(
            resource_desc="Image file (GIF)",
            mime_type="image/gif",
            uri="http://www.dhs.gov/dhspublic/getAdvisoryImage",
        ),
    )
    assert info.areas[0].geometry() is None


def test_multiline_parameter_values_and_empty_values_are_kept():
    alert = cap.read_alert(fixture_bytes("testdata/weather.cap"))
    info = alert.infos[0]
    assert info.parameter_values("VTEC") == (
        "/O.CON.KTFX.FF.A.0003.000000T0000Z-100830T1800Z/\n/00000.0.ER.000000T0000Z.000000T0000Z.000000T0000Z.OO/",
    )
    assert info.parameter_values("WMOHEADER") == ("",)


def test_alert_without_info_blocks():
    alert = cap.read_alert(fixture_bytes("testdata/no_optional_fields.cap"))
    assert alert.infos == () and alert.scope is cap.Scope.PUBLIC


def test_signed_documents_say_the_signature_is_not_verified():
    report = cap.check_alert(fixture_bytes("testdata/canada_signed.cap"))
    assert report.ok and report.signed
    assert [w.rule for w in report.warnings] == ["signature-not-verified"]


def test_tsunami_update_with_references_and_resources():
    alert = cap.read_alert(fixture_bytes("testdata/wcatwc-warning.cap"))
    assert alert.msg_type is cap.MsgType.UPDATE
    assert alert.references == (
        cap.Reference("PAAQ", "PAAQ-1-lqw6d6", datetime(2011, 9, 2, 10, 55, 55, tzinfo=UTC)),
    )
    assert len(alert.infos[0].resources) == 3


def test_utc_written_plus_zero_is_accepted_with_one_warning():
    report = cap.check_alert(fixture_bytes("samples/Maldives-Tsunami-MultiLanguage.xml"))
    assert report.ok
    assert [w.rule for w in report.warnings] == ["utc-offset-plus"]
    assert report.alert.languages == ("dv", "en-US")
