"""Atom and RSS alert feeds: the real ones parse (or are refused with the reason), ours parse back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from citywatch.warnings import cap
from tests.warnings.conftest import fixture_bytes
from tests.warnings.test_cap_writing import rainstorm


def test_atom_index_feed_lists_entries_with_their_cap_links():
    feed = cap.read_feed(fixture_bytes("testdata/weather_index.atom"))
    assert feed.format == "atom" and feed.feed_id == "http://www.weather.gov/alerts-beta/"
    assert feed.updated == datetime(2010, 8, 31, 14, 24, tzinfo=UTC)
    assert len(feed.entries) == 2
    first = feed.entries[0]
    url = "http://www.weather.gov/alerts-beta/wwacapget.php?x=CT20100831030400OKXAirQualityAlertOKX20100901031500CT"
    assert first.entry_id == url and first.alert_url == url  # an untyped link, as NWS writes them
    assert first.updated == datetime(2010, 8, 30, 23, 4, tzinfo=timezone(timedelta(hours=-4)))
    assert first.title.startswith("Air Quality Alert issued August 30")
    assert first.embedded_alert is None and first.identifier is None


def test_atom_link_typed_application_cap_xml_is_preferred():
    feed = cap.read_feed(fixture_bytes("testdata/earthquake_index.atom"))
    (entry,) = feed.entries
    assert (
        entry.alert_url == "http://earthquake.usgs.gov/earthquakes/catalogs/cap/us2010apcd"
    )  # not the html link
    assert entry.updated == datetime(2010, 8, 30, 23, 25, 40, tzinfo=UTC)


def test_fat_atom_feeds_carry_alerts_that_read():
    feed = cap.read_feed(fixture_bytes("testdata/weather.atom"))
    (entry,) = feed.entries
    assert entry.identifier == "NOAA-NWS-ALERTS-MT20120830100700TFXFlashFloodWatchTFX20120830180000MT"
    alert = cap.read_alert(entry.embedded_alert)
    assert alert.identifier == entry.identifier and alert.sender == "w-nws.webmaster@noaa.gov"
    assert len(alert.infos) == 1

    (signed,) = cap.read_feed(fixture_bytes("testdata/canada_signed.atom")).entries
    report = cap.check_alert(signed.embedded_alert)
    assert report.ok and report.signed and report.alert.identifier == "2.49.0.1.124.f2c83f5f.2013"

    (amber,) = cap.read_feed(fixture_bytes("testdata/amber.atom")).entries
    assert cap.read_alert(amber.embedded_alert).infos[0].event == "Child Abduction"


def test_a_fat_feed_with_an_invalid_alert_parses_but_the_alert_is_refused():
    (entry,) = cap.read_feed(fixture_bytes("testdata/weather_invalid.atom")).entries
    assert entry.identifier == "INVALID,"
    assert cap.check_alert(entry.embedded_alert).rules == ("identifier-format",)


def test_empty_feeds():
    assert cap.read_feed(fixture_bytes("testdata/empty_weather_index.atom")).entries == ()
    # a CAP alert outside any entry is foreign markup: no entries
    assert cap.read_feed(fixture_bytes("testdata/no_entries.atom")).entries == ()


def test_rss_index_feed():
    feed = cap.read_feed(fixture_bytes("testdata/ny_index.rss"))
    assert feed.format == "rss" and feed.title == "NY State-Wide RSS-Based CAP Index"
    assert [e.entry_id for e in feed.entries] == [
        "NYAlert-ALLHAZALERT-3167113",
        "NYAlert-ALLHAZALERT-3162202",
    ]
    assert feed.entries[0].alert_url == (
        "http://www.nyalert.gov/Public/News/GetCapAlert.aspx?capID=NYAlert-ALLHAZALERT-3167113"
    )
    assert feed.entries[0].updated == datetime(2011, 2, 4, 20, 20, tzinfo=UTC)
    amber = cap.read_feed(fixture_bytes("testdata/validator-examples/amber.rss"))
    assert amber.entries[0].updated == datetime(2003, 6, 11, 22, 39, tzinfo=timezone(timedelta(hours=-7)))


@pytest.mark.parametrize(
    ("name", "rules"),
    [
        ("testdata/invalid.rss", ("rss-required", "rss-item-text", "rss-item-link")),
        ("testdata/invalid_element.atom", ("atom-element", "atom-entry-cap")),
        ("testdata/no_id.atom", ("atom-required", "atom-entry-cap")),
        ("testdata/no_link.atom", ("atom-entry-cap",)),
        ("testdata/no_title.atom", ("atom-required", "atom-entry-cap")),
        ("testdata/xee.atom", ("external-entity",)),
        ("testdata/canada.cap", ("feed-root",)),
    ],
)
def test_invalid_feeds_are_refused_with_the_reason(name, rules):
    with pytest.raises(cap.FeedRefused) as refused:
        cap.read_feed(fixture_bytes(name))
    assert refused.value.rules == rules


def test_what_the_missing_elements_are():
    with pytest.raises(cap.FeedRefused) as refused:
        cap.read_feed(fixture_bytes("testdata/no_id.atom"))
    required = [
        (p.path, dict(p.params)["element"]) for p in refused.value.problems if p.rule == "atom-required"
    ]
    assert required == [("feed", "id"), ("feed/entry", "id")]


def test_feed_bounds_and_link_schemes():
    entry = (
        "<entry><id>e{i}</id><title>t</title><updated>2024-06-01T00:00:00Z</updated>"
        '<link type="application/cap+xml" href="{href}"/></entry>'
    )

    def feed(n, href="https://x.example/a.xml"):
        entries = "".join(entry.format(i=i, href=href) for i in range(n))
        return (
            '<feed xmlns="http://www.w3.org/2005/Atom"><id>f</id><title>t</title>'
            f"<updated>2024-06-01T00:00:00Z</updated>{entries}</feed>"
        ).encode()

    assert len(cap.read_feed(feed(5), max_entries=5).entries) == 5
    with pytest.raises(cap.FeedRefused) as refused:
        cap.read_feed(feed(6), max_entries=5)
    assert refused.value.rules == ("entry-limit",)
    with pytest.raises(cap.FeedRefused) as refused:
        cap.read_feed(feed(1, href="file:///etc/passwd"))
    assert refused.value.rules == ("feed-link-scheme",)
    relative = cap.read_feed(feed(1, href="/cap/alerts/1.xml"), base_url="https://city.example/cap/feed.atom")
    assert relative.entries[0].alert_url == "https://city.example/cap/alerts/1.xml"
    with pytest.raises(cap.FeedRefused) as refused:
        cap.read_feed(feed(3).replace(b"<id>e1</id>", b"<id>e0</id>"))
    assert refused.value.rules == ("entry-id-duplicate",)
    with pytest.raises(cap.FeedRefused) as refused:
        cap.read_feed(feed(1), max_bytes=100)
    assert refused.value.rules == ("size-limit",)


def test_our_atom_feed_follows_the_cap_feed_convention_and_parses_back():
    first = rainstorm()
    update = rainstorm(cap.MsgType.UPDATE, (cap.Reference(first.sender, first.identifier, first.sent),))
    odd = cap.Alert(
        **{**{n: getattr(first, n) for n in first.__dataclass_fields__}, "identifier": "urn:oid:2.49/x?y#z"}
    )
    data = cap.write_atom_feed(
        [first, update, odd],
        feed_url="https://city.example/cap/feed.atom",
        site_url="https://city.example",
        title="厦门市生效预警",
    )
    feed = cap.read_feed(data, base_url="https://city.example/cap/feed.atom")
    assert feed.warnings == ()
    assert feed.feed_id == "https://city.example/cap/feed.atom" and feed.title == "厦门市生效预警"
    assert feed.updated == update.sent
    urls = [e.alert_url for e in feed.entries]
    assert urls[0] == "https://city.example/cap/alerts/CW.350200.2024.0001.update.xml"  # newest first
    assert "https://city.example/cap/alerts/CW.350200.2024.0001.xml" in urls
    assert "https://city.example/cap/alerts/urn:oid:2.49%2Fx%3Fy%23z.xml" in urls
    assert [e.entry_id for e in feed.entries] == urls
    assert feed.entries[0].title == "厦门市思明区发布暴雨橙色预警信号"  # the zh-CN headline
    assert feed.entries[0].updated == update.sent
    text = data.decode()
    assert 'type="application/cap+xml"' in text and 'rel="self"' in text and 'xml:lang="zh-CN"' in text
    assert cap.alert_path("CW-1") == "/cap/alerts/CW-1.xml"


def test_an_empty_feed_says_when_it_was_made():
    data = cap.write_atom_feed([], feed_url="https://city.example/cap/feed.atom", title="t")
    feed = cap.read_feed(data)
    assert feed.entries == () and abs(feed.updated - datetime.now(UTC)) < timedelta(minutes=1)
