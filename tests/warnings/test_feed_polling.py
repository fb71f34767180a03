"""The worker polls an official Atom feed: conditional GET, each entry fetched and imported once, an
alert already held not fetched again, a refused entry recorded with its reason."""

from __future__ import annotations

import pytest

from citywatch.warnings.actions.feeds import poll_feed
from citywatch.warnings.models import CapFeed, FeedEntry, Warning
from tests.warnings.conftest import Route, fixture_bytes


@pytest.mark.django_db
def test_index_feed_polled_once_and_conditionally(local_server):
    alert = fixture_bytes("samples/Severe_Thunderstorm_Warning.xml")
    feed_xml = (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<id>urn:test:feed</id><title>测试气象台</title><updated>2026-12-07T00:00:00Z</updated>"
        "<author><name>测试</name></author>"
        "<entry><id>urn:test:1</id><title>雷电</title><updated>2026-12-07T00:00:00Z</updated>"
        f'<link rel="alternate" type="application/cap+xml" href="{local_server.url("/a1.xml")}"/></entry>'
        "<entry><id>urn:test:2</id><title>坏的</title><updated>2026-12-07T00:00:00Z</updated>"
        f'<link rel="alternate" type="application/cap+xml" href="{local_server.url("/bad.xml")}"/></entry>'
        "</feed>"
    ).encode()
    local_server.routes["/feed.atom"] = Route(feed_xml, etag='"v1"')
    local_server.routes["/a1.xml"] = Route(alert)
    local_server.routes["/bad.xml"] = Route(fixture_bytes("testdata/xee.cap"))
    feed = CapFeed.objects.create(name="测试", url=local_server.url("/feed.atom"), allow_private=True)
    before = Warning.objects.count()

    counts = poll_feed(feed)
    assert counts == {"entries": 2, "imported": 1, "held": 0, "refused": 1}
    assert Warning.objects.count() == before + 1
    refused = FeedEntry.objects.get(feed=feed, entry_id="urn:test:2")
    assert refused.outcome.startswith("refused")

    feed.refresh_from_db()
    assert feed.etag == '"v1"'
    # the second poll is conditional: 304, nothing fetched again
    assert poll_feed(feed) == {"entries": 0, "imported": 0, "held": 0, "refused": 0}
    assert local_server.hits("/a1.xml") == 1
    assert local_server.requests[-1][1].get("If-None-Match") == '"v1"'
    # the feed changes (new ETag) but lists the same entries: none is fetched again
    local_server.routes["/feed.atom"] = Route(feed_xml, etag='"v2"')
    feed.refresh_from_db()
    assert poll_feed(feed)["entries"] == 0
    assert local_server.hits("/a1.xml") == 1
    assert Warning.objects.count() == before + 1
