"""Fetching feeds and alerts from a real HTTP server the test starts on a free port (no mocks)."""

from __future__ import annotations

import gzip
import socket

import pytest

from citywatch.warnings import cap
from tests.warnings.conftest import Route, fixture_bytes
from tests.warnings.test_cap_writing import rainstorm

LAST_MODIFIED = "Sat, 01 Jun 2024 00:00:00 GMT"


def test_internal_addresses_and_other_schemes_are_not_fetched(local_server):
    local_server.routes["/feed.atom"] = Route(body=b"<feed/>")
    with pytest.raises(cap.FetchFailed) as failed:
        cap.fetch(local_server.url("/feed.atom"))
    assert failed.value.rules == ("fetch-address",)
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x/", "http:///nohost"):
        with pytest.raises(cap.FetchFailed) as failed:
            cap.fetch(url, allow_private_addresses=True)
        assert failed.value.rules == ("fetch-scheme",)
    with pytest.raises(cap.FetchFailed) as failed:
        cap.fetch("http://no-such-host.invalid/feed.atom")
    assert failed.value.rules == ("fetch-host",)
    assert local_server.hits() == 0


def test_conditional_get_by_etag(local_server):
    local_server.routes["/feed.atom"] = Route(
        body=b"<feed/>", etag='"v1"', headers={"Content-Type": "application/atom+xml"}
    )
    first = cap.fetch(local_server.url("/feed.atom"), allow_private_addresses=True)
    assert (first.status, first.body, first.etag, first.not_modified) == (200, b"<feed/>", '"v1"', False)
    assert first.content_type == "application/atom+xml"
    again = cap.fetch(local_server.url("/feed.atom"), etag=first.etag, allow_private_addresses=True)
    assert again.not_modified and again.body is None and again.etag == '"v1"'
    assert local_server.requests[1][1]["If-None-Match"] == '"v1"'
    assert local_server.requests[0][1]["Accept-Encoding"] == "identity"


def test_conditional_get_by_last_modified(local_server):
    local_server.routes["/a.xml"] = Route(body=b"<alert/>", last_modified=LAST_MODIFIED)
    first = cap.fetch(local_server.url("/a.xml"), allow_private_addresses=True)
    assert first.last_modified == LAST_MODIFIED and first.etag is None
    again = cap.fetch(
        local_server.url("/a.xml"), last_modified=first.last_modified, allow_private_addresses=True
    )
    assert again.not_modified and again.last_modified == LAST_MODIFIED
    assert local_server.requests[1][1]["If-Modified-Since"] == LAST_MODIFIED
    assert cap.conditional_headers(etag='"x"', last_modified=LAST_MODIFIED) == {
        "If-None-Match": '"x"',
        "If-Modified-Since": LAST_MODIFIED,
    }
    assert cap.conditional_headers() == {}


def test_size_is_bounded_whether_announced_or_not(local_server):
    local_server.routes["/big"] = Route(body=b"x" * 5000)
    local_server.routes["/stream"] = Route(body=b"x" * 5000, send_length=False)
    for path in ("/big", "/stream"):
        with pytest.raises(cap.FetchFailed) as failed:
            cap.fetch(local_server.url(path), max_bytes=1000, allow_private_addresses=True)
        assert failed.value.rules == ("fetch-size",)
    assert (
        cap.fetch(local_server.url("/stream"), max_bytes=5000, allow_private_addresses=True).body
        == b"x" * 5000
    )


def test_compressed_bodies_and_errors_are_refused(local_server):
    local_server.routes["/gz"] = Route(body=gzip.compress(b"<feed/>"), headers={"Content-Encoding": "gzip"})
    with pytest.raises(cap.FetchFailed) as failed:
        cap.fetch(local_server.url("/gz"), allow_private_addresses=True)
    assert failed.value.rules == ("fetch-encoding",)
    with pytest.raises(cap.FetchFailed) as failed:
        cap.fetch(local_server.url("/missing"), allow_private_addresses=True)
    assert failed.value.rules == ("fetch-status",)
    assert "404" in failed.value.problems[0].message


def test_redirects_are_checked_like_the_first_url(local_server):
    local_server.routes["/old"] = Route(status=302, headers={"Location": "/new"})
    local_server.routes["/new"] = Route(body=b"<feed/>")
    local_server.routes["/evil"] = Route(status=302, headers={"Location": "file:///etc/passwd"})
    moved = cap.fetch(local_server.url("/old"), allow_private_addresses=True)
    assert moved.body == b"<feed/>" and moved.url == local_server.url("/new")
    with pytest.raises(cap.FetchFailed) as failed:
        cap.fetch(local_server.url("/evil"), allow_private_addresses=True)
    assert failed.value.rules == ("fetch-scheme",)


def test_a_refused_connection():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(cap.FetchFailed) as failed:
        cap.fetch(f"http://127.0.0.1:{port}/feed.atom", allow_private_addresses=True, timeout=5)
    assert failed.value.rules == ("fetch-failed",)


def test_polling_a_feed_fetches_each_alert_once(local_server):
    """What the worker will do: feed → entries → each linked alert → the model; then nothing changed."""
    first = rainstorm()
    update = rainstorm(cap.MsgType.UPDATE, (cap.Reference(first.sender, first.identifier, first.sent),))
    site = local_server.url("")
    local_server.routes["/cap/feed.atom"] = Route(
        body=cap.write_atom_feed([first, update], feed_url=site + "/cap/feed.atom", site_url=site, title="t"),
        etag='"feed-1"',
    )
    for alert in (first, update):
        local_server.routes[cap.alert_path(alert.identifier)] = Route(body=cap.write_alert(alert), etag='"a"')
    local_server.routes["/cap/thin.rss"] = Route(body=fixture_bytes("testdata/ny_index.rss"))

    response = cap.fetch(site + "/cap/feed.atom", allow_private_addresses=True)
    feed = cap.read_feed(response.body, base_url=response.url)
    held = {}
    for entry in feed.entries:
        fetched = cap.fetch(entry.alert_url, allow_private_addresses=True)
        alert = cap.read_alert(fetched.body)
        held[alert.identifier] = alert
    assert held == {first.identifier: first, update.identifier: update}

    again = cap.fetch(site + "/cap/feed.atom", etag=response.etag, allow_private_addresses=True)
    assert again.not_modified
    assert local_server.hits(cap.alert_path(first.identifier)) == 1
