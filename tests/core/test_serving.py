"""The production ASGI handler (``citywatch.serving.PooledASGIHandler``) runs a request's synchronous part
in one call on the request's thread: the ``request_started`` signal, the middleware and the view, and
closing the answer (``request_finished``) all on that thread, never on the event loop's; the answer is
the one Django's stock handler gives, headers included (security headers, CSP, request id, language)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from django.core import signals
from django.core.handlers.asgi import ASGIHandler

from citywatch.serving import PooledASGIHandler


def call(app, path: str, headers=()):
    """One GET through the ASGI application; the answer's status, headers and body, and the event loop's
    thread."""
    sent, asked = [], []

    async def receive():  # the request, then (once the answer is out) the client leaving
        asked.append(1)
        if len(asked) == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        while not any(m["type"] == "http.response.body" and not m.get("more_body") for m in sent):
            await asyncio.sleep(0.01)
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def run():
        await app(scope, receive, send)
        return threading.get_ident()

    loop_thread = asyncio.run(run())
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, body, loop_thread


@pytest.fixture
def threads_seen():
    seen = []

    def started(**kwargs):
        seen.append(("started", threading.get_ident()))

    def finished(**kwargs):
        seen.append(("finished", threading.get_ident()))

    signals.request_started.connect(started, dispatch_uid="test-serving-started")
    signals.request_finished.connect(finished, dispatch_uid="test-serving-finished")
    yield seen
    signals.request_started.disconnect(dispatch_uid="test-serving-started")
    signals.request_finished.disconnect(dispatch_uid="test-serving-finished")


def test_a_request_runs_on_one_thread_off_the_event_loop(settings, threads_seen):
    settings.CITYWATCH_REQUEST_THREADS = 2
    status, _headers, body, loop_thread = call(PooledASGIHandler(), "/livez")
    assert (status, body) == (200, b'{"status":"ok"}')
    assert [name for name, _thread in threads_seen] == ["started", "finished"]
    (_, started), (_, finished) = threads_seen
    assert started == finished and started != loop_thread


def test_the_answer_is_the_stock_handlers_headers_and_all(settings):
    settings.CITYWATCH_REQUEST_THREADS = 2
    cookie = [(b"cookie", b"django_language=en"), (b"x-request-id", b"trace-42")]
    pooled = call(PooledASGIHandler(), "/livez", cookie)
    stock = call(ASGIHandler(), "/livez", cookie)
    assert pooled[:3] == stock[:3]
    headers = pooled[1]
    assert headers["x-request-id"] == "trace-42" and headers["content-language"] == "en"
    assert "content-security-policy" in headers and headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"


def test_a_page_that_is_not_found_answers_as_django_does(settings):
    settings.CITYWATCH_REQUEST_THREADS = 2
    pooled = call(PooledASGIHandler(), "/api/v1/no-such-thing")
    stock = call(ASGIHandler(), "/api/v1/no-such-thing")
    assert pooled[0] == stock[0] == 404
    assert pooled[2] == stock[2]


def test_a_path_resolved_once_is_kept_and_answers_the_same(settings):
    settings.CITYWATCH_REQUEST_THREADS = 2
    handler = PooledASGIHandler()
    first = call(handler, "/livez")
    kept = dict(handler.synchronous.resolved)
    assert [path for _urlconf, path in kept] == ["/livez"]
    again = call(handler, "/livez")
    assert (again[0], again[2]) == (first[0], first[2])
    assert handler.synchronous.resolved == kept  # the same match object, not resolved anew


def test_a_path_that_resolves_to_nothing_is_not_kept(settings):
    settings.CITYWATCH_REQUEST_THREADS = 2
    handler = PooledASGIHandler()
    assert call(handler, "/no-such-page")[0] == 404
    assert handler.synchronous.resolved == {}
