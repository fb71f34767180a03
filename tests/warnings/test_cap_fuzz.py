"""Damaged documents: the reader answers with a verdict, never with a crash, and what it accepts it can write.

Real alerts and feeds are damaged at random (bytes inserted, removed or replaced; elements dropped or
their text replaced) and handed to `check_alert` and `read_feed`.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from citywatch.warnings import cap
from tests.warnings.conftest import fixture_bytes

ALERTS = [
    fixture_bytes(name)
    for name in (
        "samples/Myanmar-Flood-MultiLanguage_MultipleArea.xml",
        "samples/Severe_Thunderstorm_Warning.xml",
        "testdata/australia.cap",
        "testdata/canada.cap",
        "testdata/earthquake.cap",
    )
]
FEEDS = [fixture_bytes(name) for name in ("testdata/weather_index.atom", "testdata/ny_index.rss")]
TOKENS = st.sampled_from(
    [
        b"<",
        b">",
        b"&",
        b"&amp;",
        b"]]>",
        b"<!DOCTYPE x>",
        b"\x00",
        b"\xff",
        b"\xe5\x8e",
        b" ",
        b",",
        b"Z",
        b"-",
    ]
)
FIELD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "x y",
        "1,2",
        "<",
        "&",
        "Z",
        "2024-06-01T08:00:00Z",
        "24.4,118.05",
        "95,200 1",
        "-1",
        "Update",
        "Cancel",
    ]
) | st.text(max_size=12)


@st.composite
def damaged_bytes(draw, documents):
    data = bytearray(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        if action == "insert":
            data[at:at] = draw(TOKENS)
        elif action == "delete":
            data[at : at + draw(st.integers(1, 20))] = b""
        else:
            data[at : at + 1] = draw(TOKENS)
    return bytes(data)


@st.composite
def damaged_elements(draw):
    root = etree.fromstring(draw(st.sampled_from(ALERTS)))
    elements = [e for e in root.iter() if isinstance(e.tag, str) and e is not root]
    for _ in range(draw(st.integers(1, 3))):
        element = draw(st.sampled_from(elements))
        if element.getparent() is None:
            continue
        if draw(st.booleans()):
            element.getparent().remove(element)
            elements = [e for e in root.iter() if isinstance(e.tag, str) and e is not root]
        elif len(element) == 0:
            try:
                element.text = draw(FIELD_TEXT)
            except ValueError:  # a character XML cannot carry
                continue
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_bytes(ALERTS))
def test_damaged_bytes_get_a_verdict(data):
    report = cap.check_alert(data)
    assert report.ok or report.errors
    if report.ok:
        assert cap.read_alert(cap.write_alert(report.alert)) == report.alert


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_elements())
def test_damaged_elements_get_a_verdict_and_accepted_ones_are_written_back(data):
    report = cap.check_alert(data)
    assert report.ok or report.errors
    for found in report.problems:
        assert found.rule and str(found)
    if report.ok:
        assert cap.read_alert(cap.write_alert(report.alert)) == report.alert


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_bytes(FEEDS))
def test_damaged_feeds_are_read_or_refused(data):
    try:
        feed = cap.read_feed(data)
    except cap.FeedRefused as refused:
        assert refused.rules
    else:
        assert feed.format in ("atom", "rss")
