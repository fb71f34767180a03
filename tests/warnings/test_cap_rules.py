"""Each CAP 1.2 rule the schema cannot express, and the schema itself, refuse what they should.

One valid document, changed in one place per case: the case must be refused by exactly the rule named,
with a problem that names the element and its line.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from citywatch.warnings import cap

VALID = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>CW-2024-0001</identifier>
  <sender>cap@citywatch.example</sender>
  <sent>2024-06-01T08:00:00+08:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>暴雨</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <effective>2024-06-01T08:00:00+08:00</effective>
    <onset>2024-06-01T09:00:00+08:00</onset>
    <expires>2024-06-01T20:00:00+08:00</expires>
    <headline>厦门市气象台发布暴雨橙色预警信号</headline>
    <web>https://citywatch.example/public/</web>
    <resource>
      <resourceDesc>map</resourceDesc>
      <mimeType>image/png</mimeType>
      <size>1024</size>
      <uri>https://citywatch.example/map.png</uri>
    </resource>
    <area>
      <areaDesc>思明区</areaDesc>
      <polygon>24.40,118.05 24.40,118.20 24.52,118.20 24.52,118.05 24.40,118.05</polygon>
      <circle>24.48,118.09 10</circle>
      <geocode><valueName>GB/T 2260</valueName><value>350203</value></geocode>
      <altitude>0</altitude>
      <ceiling>1000</ceiling>
    </area>
  </info>
</alert>
"""

REFERENCES = "<references>cap@citywatch.example,CW-2024-0000,2024-06-01T07:00:00+08:00</references>"


def changed(*replacements: tuple[str, str]) -> bytes:
    text = VALID
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text.encode()


def test_the_base_document_is_valid_without_warnings():
    report = cap.check_alert(VALID.encode())
    assert report.ok and report.problems == ()


CASES = {
    # identifier and sender: no spaces, commas, < or &
    "identifier with a space": (("CW-2024-0001<", "CW 2024<"), "identifier-format", "alert/identifier"),
    "identifier with a comma": (("CW-2024-0001<", "CW,1<"), "identifier-format", "alert/identifier"),
    "identifier with &": (("CW-2024-0001<", "CW&amp;1<"), "identifier-format", "alert/identifier"),
    "identifier with <": (("CW-2024-0001<", "CW&lt;1<"), "identifier-format", "alert/identifier"),
    "empty identifier": (("CW-2024-0001", ""), "identifier-format", "alert/identifier"),
    "sender with a space": (("cap@citywatch.example<", "city watch<"), "sender-format", "alert/sender"),
    # date-times: seconds and an explicit offset, no Z, no fraction
    "sent with Z": (("08:00:00+08:00</sent>", "00:00:00Z</sent>"), "datetime-format", "alert/sent"),
    "effective with a fraction": (
        ("08:00:00+08:00</effective>", "08:00:00.5+08:00</effective>"),
        "datetime-format",
        "alert/info/effective",
    ),
    "expires without offset": (("20:00:00+08:00<", "20:00:00<"), "datetime-format", "alert/info/expires"),
    "expires without seconds": (
        ("T20:00:00+08:00<", "T20:00+08:00<"),
        "datetime-format",
        "alert/info/expires",
    ),
    # references
    "Update without references": (
        ("Alert</msgType>", "Update</msgType>"),
        "references-required",
        "alert/msgType",
    ),
    "Cancel with empty references": (
        ("Alert</msgType>", "Cancel</msgType>"),
        ("<scope>Public</scope>", "<scope>Public</scope><references> </references>"),
        "references-required",
        "alert/references",
    ),
    "a reference that is not a triple": (
        ("<scope>Public</scope>", "<scope>Public</scope><references>cap@citywatch.example,CW-1</references>"),
        "references-format",
        "alert/references",
    ),
    "a reference with a Z time": (
        ("<scope>Public</scope>", "<scope>Public</scope><references>a,b,2024-06-01T00:00:00Z</references>"),
        "references-format",
        "alert/references",
    ),
    "a reference to itself": (
        (
            "<scope>Public</scope>",
            "<scope>Public</scope><references>cap@citywatch.example,CW-2024-0001,"
            "2024-06-01T08:00:00+08:00</references>",
        ),
        "references-self",
        "alert/references",
    ),
    # scope
    "Restricted without restriction": (
        ("Public</scope>", "Restricted</scope>"),
        "restriction-required",
        "alert",
    ),
    "Private without addresses": (("Public</scope>", "Private</scope>"), "addresses-required", "alert"),
    "unbalanced quote in addresses": (
        ("<scope>Public</scope>", '<scope>Public</scope><addresses>a "b c</addresses>'),
        "list-quoting",
        "alert/addresses",
    ),
    # times in order
    "expires before onset": (
        ("<onset>2024-06-01T09:00:00+08:00", "<onset>2024-06-01T21:00:00+08:00"),
        "expires-before-onset",
        "alert/info/expires",
    ),
    "expires before effective": (
        ("<effective>2024-06-01T08:00:00+08:00", "<effective>2024-06-02T08:00:00+08:00"),
        "expires-before-effective",
        "alert/info/expires",
    ),
    "expires before sent without effective": (
        ("<effective>2024-06-01T08:00:00+08:00</effective>", ""),
        ("<sent>2024-06-01T08:00:00+08:00", "<sent>2024-06-01T21:00:00+08:00"),
        "expires-before-effective",
        "alert/info/expires",
    ),
    # polygons and circles
    "polygon that does not close": (
        ("24.52,118.05 24.40,118.05</polygon>", "24.52,118.05 24.41,118.05</polygon>"),
        "polygon-closed",
        "alert/info/area/polygon",
    ),
    "polygon with 3 pairs": (
        (
            "24.40,118.05 24.40,118.20 24.52,118.20 24.52,118.05 24.40,118.05",
            "24.40,118.05 24.40,118.20 24.40,118.05",
        ),
        "polygon-points",
        "alert/info/area/polygon",
    ),
    "polygon with lon,lat swapped out of range": (
        (
            "24.40,118.05 24.40,118.20 24.52,118.20 24.52,118.05 24.40,118.05",
            "118.05,24.40 118.20,24.40 118.20,24.52 118.05,24.40",
        ),
        "coordinate-range",
        "alert/info/area/polygon",
    ),
    "polygon with a word in it": (
        ("24.40,118.20 ", "24.40,118.20 north "),
        "polygon-format",
        "alert/info/area/polygon",
    ),
    "polygon pair separated by a semicolon": (
        ("24.40,118.20 ", "24.40;118.20 "),
        "polygon-format",
        "alert/info/area/polygon",
    ),
    "circle without radius": (("24.48,118.09 10", "24.48,118.09"), "circle-format", "alert/info/area/circle"),
    "circle with a negative radius": (
        ("24.48,118.09 10", "24.48,118.09 -10"),
        "circle-format",
        "alert/info/area/circle",
    ),
    "circle written lon,lat": (
        ("24.48,118.09 10", "118.09,24.48 10"),
        "coordinate-range",
        "alert/info/area/circle",
    ),
    "ceiling without altitude": (
        ("<altitude>0</altitude>", ""),
        "ceiling-without-altitude",
        "alert/info/area/ceiling",
    ),
    "altitude above ceiling": (
        ("<altitude>0<", "<altitude>2000<"),
        "altitude-above-ceiling",
        "alert/info/area/ceiling",
    ),
    # web and resources
    "relative web": (("https://citywatch.example/public/", "/public/"), "web-uri", "alert/info/web"),
    "mime type without subtype": (("image/png", "png"), "mime-type-format", "alert/info/resource/mimeType"),
    "relative uri without derefUri": (
        ("https://citywatch.example/map.png", "map.png"),
        "resource-uri",
        "alert/info/resource/uri",
    ),
    "derefUri not base64": (
        ("</uri>", "</uri><derefUri>@@not base64@@</derefUri>"),
        "deref-uri-base64",
        "alert/info/resource/derefUri",
    ),
    "negative size": (("<size>1024", "<size>-1"), "resource-size", "alert/info/resource/size"),
    # the schema
    "unknown status": (("Actual</status>", "Real</status>"), "schema", "alert/status"),
    "missing scope": (("<scope>Public</scope>", ""), "schema", "alert/info"),
    "elements out of order": (
        (
            "<status>Actual</status>\n  <msgType>Alert</msgType>",
            "<msgType>Alert</msgType><status>Actual</status>",
        ),
        "schema",
        "alert/msgType",
    ),
    "unknown element": (("<event>", "<colour>orange</colour><event>"), "schema", "alert/info/colour"),
    "altitude not a number": (("<altitude>0<", "<altitude>ground<"), "schema", "alert/info/area/altitude"),
    "category not in the list": (("Met</category>", "Weather</category>"), "schema", "alert/info/category"),
    "language not a language tag": (
        ("zh-CN</language>", "Chinese simplified</language>"),
        "schema",
        "alert/info/language",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_each_rule_refuses(case):
    *replacements, rule, path = CASES[case]
    report = cap.check_alert(changed(*replacements))
    assert not report.ok
    assert report.rules == (rule,), [str(p) for p in report.problems]
    found = report.errors[0]
    assert found.path == path
    assert found.line and found.line > 1
    for language in ("en", "zh-hans"):
        with translation.override(language):
            shown = str(found)
            assert f"[{rule}]" in shown and path in shown


def test_the_schema_message_names_what_was_expected():
    report = cap.check_alert(changed(("<scope>Public</scope>", "")))
    with translation.override("en"):
        assert report.errors[0].message == "<info> is not expected here; expected: <source>, <scope>."
    report = cap.check_alert(changed(("Actual</status>", "Real</status>")))
    with translation.override("zh-hans"):
        assert report.errors[0].message == (
            "<status> 的值“Real”不在允许的取值中：Actual, Exercise, System, Test, Draft。"
        )


def test_vertex_limit():
    ring = " ".join(f"24.{i:03d},118.05" for i in range(1, 300)) + " 24.001,118.05"
    doc = changed(("24.40,118.05 24.40,118.20 24.52,118.20 24.52,118.05 24.40,118.05", ring))
    assert cap.check_alert(doc, max_vertices=100).rules == ("vertex-limit",)
    assert "vertex-limit" not in cap.check_alert(doc).rules


@pytest.mark.parametrize(
    ("replacements", "rule"),
    [
        (
            (("+08:00</sent>", "-00:00</sent>"), ("T08:00:00-00:00</sent>", "T00:00:00+00:00</sent>")),
            "utc-offset-plus",
        ),
        (
            (("<scope>Public</scope>", "<scope>Public</scope><restriction>staff</restriction>"),),
            "restriction-unused",
        ),
        (
            (
                (
                    "<scope>Public</scope>",
                    "<scope>Public</scope><references>a,b,2024-06-02T00:00:00+08:00</references>",
                ),
            ),
            "references-postdated",
        ),
        (
            (
                (
                    "24.40,118.05 24.40,118.20 24.52,118.20 24.52,118.05 24.40,118.05",
                    "24.40,118.05 24.52,118.20 24.40,118.20 24.52,118.05 24.40,118.05",
                ),
            ),
            "polygon-self-intersection",
        ),
        ((("24.40,118.20 ", "24.40,118.20, "),), "coordinate-separator"),
        (
            (
                ("Alert</msgType>", "Error</msgType>"),
                ("<scope>Public</scope>", f"<scope>Public</scope>{REFERENCES}"),
            ),
            "note-for-error",
        ),
    ],
)
def test_warnings_do_not_refuse(replacements, rule):
    report = cap.check_alert(changed(*replacements))
    assert report.ok, [str(p) for p in report.errors]
    assert [w.rule for w in report.warnings] == [rule]


def test_a_crossing_polygon_is_repaired_when_read():
    bowtie = "24.40,118.05 24.52,118.20 24.40,118.20 24.52,118.05 24.40,118.05"
    alert = cap.read_alert(
        changed(("24.40,118.05 24.40,118.20 24.52,118.20 24.52,118.05 24.40,118.05", bowtie))
    )
    polygon = alert.infos[0].areas[0].polygons[0]
    assert not polygon.geometry(repair=False).is_valid
    repaired = polygon.geometry()
    assert repaired.is_valid and repaired.geom_type == "MultiPolygon" and repaired.area > 0


def test_update_with_references_is_valid():
    doc = changed(
        ("Alert</msgType>", "Update</msgType>"),
        ("<scope>Public</scope>", f"<scope>Public</scope>{REFERENCES}"),
    )
    alert = cap.read_alert(doc)
    assert alert.msg_type is cap.MsgType.UPDATE
    assert alert.references[0].identifier == "CW-2024-0000"
