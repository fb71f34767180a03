"""The harness of ``citywatch bench http`` (``benchmarks/http_load.py``), without the production server:
the load is bounded by count, the measured requests go on where the warm-up stopped (a question sent in
the warm-up is not sent again as a measured one), slices of one line add up, and the lines have the
house form. The figures themselves are in docs/performance.md; nothing here is timed."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from citywatch.geo.management.commands.bench import load_suite


@pytest.fixture(scope="module")
def harness():
    return load_suite("http")


@pytest.fixture
def server():
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - the standard library's name
            seen.append(self.path)
            status = 404 if self.path.startswith("/missing") else 200
            body = b'{"ok": true}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], seen
    httpd.shutdown()
    httpd.server_close()


def test_a_load_is_bounded_by_its_count_and_counts_errors(harness, server):
    port, seen = server
    load = harness.drive(port, ["/a", "/missing"], count=40, seconds=60, concurrency=4)
    assert load.requests == 40 and len(seen) == 40
    assert load.errors == 20 and load.statuses == {200: 20, 404: 20}
    assert load.p50_ms is not None and load.p99_ms >= load.p50_ms


def test_the_measured_requests_follow_the_warm_up(harness, server):
    port, seen = server
    paths = [f"/p{i}" for i in range(10_000)]
    load = harness.drive(port, paths, count=30, seconds=60, concurrency=2, warmup=0.3)
    warm = len(seen) - load.requests
    assert warm > 0 and load.requests == 30
    assert len(set(seen)) == len(seen)  # no point sent twice: the measured ones are new
    assert seen[warm:] and set(seen[warm:]).isdisjoint(seen[:warm])


def test_slices_add_up_and_lines_have_the_house_form(harness, server):
    port, _seen = server
    one = harness.drive(port, ["/a"], count=10, seconds=60, concurrency=2)
    two = harness.drive(port, ["/missing"], count=5, seconds=60, concurrency=1)
    both = one.add(two)
    assert both.requests == 15 and both.errors == 5 and both.statuses == {200: 10, 404: 5}
    assert both.seconds == pytest.approx(one.seconds + two.seconds)
    assert len(both.latencies_ms) == 15
    line = harness.line("x", both, "y", one, endpoint="/a")
    assert set(line) == {"name", "value", "unit", "baseline", "baseline_value", "ratio", "params"}
    assert line["unit"] == "requests/s" and line["params"]["errors"] == 5


@pytest.mark.django_db
def test_distinct_points_are_all_different(harness):
    points = harness.distinct_points(500)
    assert len(points) == 500 == len(set(points))
