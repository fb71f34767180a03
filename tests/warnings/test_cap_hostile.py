"""Hostile and broken documents are refused with a specific reason, and nothing else happens.

"Nothing else" is proved, not assumed: an external entity pointing at a file the test wrote never
brings its content into anything, and entities, DTDs, XInclude and schema locations pointing at a
local HTTP server started by the test never make it receive a request.
"""

from __future__ import annotations

import secrets
import time

import pytest
from django.utils import translation
from lxml import etree

from citywatch.warnings import cap
from citywatch.warnings.cap.safexml import hardened_parser
from tests.warnings.conftest import fixture_bytes

ALERT_BODY = """<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>CW-1</identifier><sender>citywatch.example</sender>
  <sent>2024-06-01T08:00:00+08:00</sent><status>Actual</status><msgType>Alert</msgType>
  <scope>Public</scope>
  <info><category>Met</category><event>暴雨</event><urgency>Immediate</urgency>
    <severity>Severe</severity><certainty>Observed</certainty>
    <headline>HEADLINE</headline>
    <area><areaDesc>思明区</areaDesc></area></info>
</alert>"""


def everything_said(report: cap.CapReport) -> str:
    return " ".join(f"{p} {p.detail}" for p in report.problems) + repr(report.alert)


def test_external_entity_never_reads_a_local_file(tmp_path):
    token = secrets.token_hex(16)
    secret = tmp_path / "secret.txt"
    secret.write_text(token)
    body = ALERT_BODY.replace("HEADLINE", "&xxe;")
    doc = (
        f'<?xml version="1.0"?>\n<!DOCTYPE alert [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n{body}'.encode()
    )

    report = cap.check_alert(doc)
    assert not report.ok
    assert report.rules == ("external-entity",)
    assert report.problems[0].line == 2
    assert token not in everything_said(report)
    with pytest.raises(cap.CapRefused) as refused:
        cap.read_alert(doc)
    assert token not in str(refused.value)

    # Defence in depth: even the parser alone, handed the document past the DOCTYPE check, reads nothing.
    root = etree.fromstring(doc, parser=hardened_parser())
    assert token not in etree.tostring(root, encoding="unicode")
    assert token not in "".join(root.itertext())


def test_remote_dtd_and_entities_never_reach_the_network(local_server):
    # xee.cap from google/cap-library, pointed at the test's own server instead of localhost:8080
    doc = fixture_bytes("testdata/xee.cap").replace(
        b"localhost:8080", f"127.0.0.1:{local_server.port}".encode()
    )
    report = cap.check_alert(doc)
    assert report.rules == ("external-entity",)
    # libxml2 itself, hardened, refuses to load the remote parameter entity rather than fetch it
    with pytest.raises(etree.XMLSyntaxError, match="network"):
        etree.fromstring(doc, parser=hardened_parser())
    with pytest.raises(cap.FeedRefused) as refused:
        cap.read_feed(
            fixture_bytes("testdata/xee.atom").replace(
                b"googleusercontent.com", f"127.0.0.1:{local_server.port}".encode()
            )
        )
    assert refused.value.rules == ("external-entity",)
    time.sleep(0.2)
    assert local_server.hits() == 0


def test_xinclude_and_schema_location_are_never_followed(local_server):
    base = f"http://127.0.0.1:{local_server.port}"
    intruders = (
        f'<x xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{base}/1"/></x>'
        f'<y xmlns="http://a.b/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="http://a.b/ {base}/a.xsd">a</y>'
    )
    doc = ALERT_BODY.replace("<identifier>", intruders + "<identifier>", 1).encode()
    report = cap.check_alert(doc)
    assert report.rules == ("schema",)
    assert report.errors[0].path == "alert/x"
    time.sleep(0.2)
    assert local_server.hits() == 0


def test_the_original_hostile_fixtures_are_refused():
    assert cap.check_alert(fixture_bytes("testdata/xee.cap")).rules == ("external-entity",)
    with pytest.raises(cap.FeedRefused) as refused:
        cap.read_feed(fixture_bytes("testdata/xee.atom"))
    assert refused.value.rules == ("external-entity",)


def test_billion_laughs_is_refused_before_any_expansion():
    lol = '<!ENTITY lol0 "lol">' + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    doc = f'<?xml version="1.0"?><!DOCTYPE alert [{lol}]>{ALERT_BODY.replace("HEADLINE", "&lol9;")}'.encode()
    report = cap.check_alert(doc, max_bytes=10 * 1024 * 1024)
    assert report.rules == ("entity-declaration",)
    with translation.override("en"):
        assert "billion laughs" in report.errors[0].message


def test_a_plain_doctype_is_refused():
    doc = f'<?xml version="1.0"?>\n<!-- a comment first -->\n<!DOCTYPE alert>\n{ALERT_BODY}'.encode()
    report = cap.check_alert(doc)
    assert report.rules == ("doctype",)
    assert report.errors[0].line == 3


def test_size_is_checked_before_parsing():
    doc = b"<alert>" + b"x" * 2000  # malformed too, but the size is what is reported
    report = cap.check_alert(doc, max_bytes=1000)
    assert report.rules == ("size-limit",)
    assert "2007" in report.errors[0].message and "1000" in report.errors[0].message
    assert cap.DEFAULT_MAX_BYTES == 1024 * 1024


def test_malformed_xml_names_the_line():
    report = cap.check_alert(ALERT_BODY.replace("</info>", "").encode())
    assert report.rules == ("malformed-xml",)
    assert report.errors[0].line == 9


def test_bytes_that_are_not_the_declared_encoding():
    latin = ALERT_BODY.replace("暴雨", "Rain").replace("思明区", "Usulután")
    doc = ('<?xml version="1.0" encoding="UTF-8"?>\n' + latin).encode("latin-1")
    report = cap.check_alert(doc)
    assert report.rules == ("encoding",)
    assert "UTF-8" in report.errors[0].message


def test_an_unknown_or_refused_encoding():
    assert cap.check_alert(b'<?xml version="1.0" encoding="x-klingon"?><alert/>').rules == ("encoding",)
    assert cap.check_alert(b'<?xml version="1.0" encoding="UTF-7"?><alert/>').rules == ("encoding",)
    assert cap.check_alert(b'<?xml version="1.0" encoding="UTF-16"?><alert/>').rules == ("encoding",)
    utf32 = ALERT_BODY.encode("utf-32")
    assert cap.check_alert(utf32).rules == ("encoding",)


@pytest.mark.parametrize("encoding", ["GBK", "GB18030", "UTF-16"])
def test_other_declared_encodings_are_read(encoding):
    doc = f'<?xml version="1.0" encoding="{encoding}"?>\n{ALERT_BODY}'.encode(encoding.lower())
    alert = cap.read_alert(doc)
    assert alert.infos[0].event == "暴雨" and alert.infos[0].areas[0].area_desc == "思明区"


def test_xml_that_is_not_cap():
    report = cap.check_alert(b"<html><body>hello</body></html>")
    assert report.rules == ("not-cap",)
    report = cap.check_alert(fixture_bytes("testdata/weather_index.atom"))
    assert report.rules == ("not-cap",)
    assert "http://www.w3.org/2005/Atom" in report.errors[0].message


def test_cap_versions():
    cap10 = ALERT_BODY.replace("urn:oasis:names:tc:emergency:cap:1.2", "http://www.incident.com/cap/1.0")
    assert cap.check_alert(cap10.encode()).rules == ("cap-version",)
    cap11 = fixture_bytes("testdata/earthquake.cap")
    strict = cap.check_alert(cap11, accept_cap11=False)
    assert strict.rules == ("cap-version",) and strict.cap_version == "1.1"
    with translation.override("en"):
        assert "only CAP 1.2 is accepted" in strict.errors[0].message


@pytest.mark.parametrize(
    ("name", "rule", "path"),
    [
        ("testdata/invalid.cap", "schema", "alert/info"),  # <scope> missing
        ("testdata/canada_errors.cap", "references-required", "alert/references"),  # empty, msgType Update
        ("testdata/noaa_errors.cap", "schema", "alert/info/urgency"),  # empty enumerations (CAP 1.1)
        ("testdata/xee.cap", "external-entity", ""),
        # SAMBRO demo files: schema-valid, but expired (2005) ten years before they were sent (2015)
        ("samples/Flood.xml", "expires-before-effective", "alert/info/expires"),
        ("samples/landslide.xml", "expires-before-effective", "alert/info/expires"),
        ("samples/tsunami.xml", "expires-before-effective", "alert/info/expires"),
    ],
)
def test_invalid_real_documents_are_refused_naming_rule_and_element(name, rule, path):
    report = cap.check_alert(fixture_bytes(name))
    assert not report.ok and report.alert is None
    assert report.rules[0] == rule
    assert report.errors[0].path == path
    with pytest.raises(cap.CapRefused) as refused:
        cap.read_alert(fixture_bytes(name))
    assert rule in refused.value.rules
    assert f"[{rule}]" in str(refused.value)


def test_noaa_errors_reports_every_problem_at_once():
    report = cap.check_alert(fixture_bytes("testdata/noaa_errors.cap"))
    assert [(p.rule, p.path) for p in report.errors] == [
        ("schema", "alert/info/urgency"),
        ("schema", "alert/info/severity"),
        ("schema", "alert/info/certainty"),
        ("polygon-points", "alert/info/area/polygon[2]"),
    ]
    assert "coordinate-separator" in [w.rule for w in report.warnings]  # "+40.85,-118.09," read anyway
