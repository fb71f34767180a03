"""Request bodies are capped before they reach a view: 413 with the API's error body under /api/ and a
translated page elsewhere, nothing read or written to disk for a refused body; a full temporary
directory answers 507, never 500.

Three ways in: Django's test client (the Django middleware), the real ASGI application called directly
(the ASGI middleware in asgi.py, with a declared Content-Length and with a chunked stream of 1 GiB), and
uvicorn serving the application with a temporary directory of 2 MiB (a full disk). What a process wrote
is read from /proc (``wchar``: bytes handed to write()), what a server's temporary directory holds from
its own mount.
"""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from django.test import override_settings

from tests.support.servers import can_unshare, raw_request, uvicorn_server, wait_for

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024
API_IMPORT = "/api/v1/resources/shelters/import"
PAGE_IMPORT = "/resources/shelters/import/"


def written() -> int:
    """Bytes this process (every thread) has handed to write() so far."""
    with open("/proc/self/io") as io:
        return next(int(line.split()[1]) for line in io if line.startswith("wchar:"))


def assert_too_large_error(body: dict):
    assert set(body) == {"error"} and body["error"]["code"] == "too_large", body
    assert set(body["error"]) == {"code", "message", "details"}


# --- Django's middleware (any server, the test client) -------------------------------------------


def test_json_body_over_the_limit_is_413_not_500(city_admin):
    big = b'{"title": "' + b"x" * (11 * MiB) + b'"}'
    r = city_admin.post("/api/v1/incidents/", data=big, content_type="application/json")
    assert r.status_code == 413, r.content[:300]
    assert_too_large_error(r.json())
    assert r.json()["error"]["message"] == "请求超过大小上限 10 MiB。"


def test_form_body_over_the_limit_on_a_page_is_a_translated_413_page(siming):
    r = siming.post(
        "/resources/shelters/new/",
        data="name=" + "x" * (11 * MiB),
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code == 413
    page = r.content.decode()
    assert "<h1>请求过大</h1>" in page and "请求超过大小上限 10 MiB。" in page


def test_upload_over_its_own_limit_is_413_and_the_limit_is_a_setting(siming):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = b"name\n" + b"x" * (2 * MiB)
    with override_settings(CITYWATCH_MAX_UPLOAD_BYTES=MiB):
        r = siming.post(API_IMPORT, {"file": SimpleUploadedFile("s.csv", data)})
    assert r.status_code == 413 and r.json()["error"]["message"] == "请求超过大小上限 1 MiB。"
    # The default upload limit (20 MiB) is larger than the request limit (10 MiB): this body passes it.
    big = b"name\n" + b"y" * (12 * MiB)
    r = siming.post(API_IMPORT, {"file": SimpleUploadedFile("s.csv", big)})
    assert r.status_code == 413 and "有单元格超过" in r.json()["error"]["message"]  # the file's own bound


# --- The ASGI application (asgi.py) ---------------------------------------------------------------


def call_asgi(method, path, headers, chunks=()):
    """Call citywatch.asgi.application as a server would; returns (status, headers, body, receive
    calls). ``chunks`` is consumed lazily, one per receive()."""
    from citywatch.asgi import application

    chunks = iter(chunks)
    state = {"calls": 0, "status": None, "headers": [], "body": b""}
    pending = [next(chunks, None)]

    async def receive():
        state["calls"] += 1
        chunk = pending[0]
        if chunk is False:
            # The body has been read: like a server, wait until the client goes (Django listens for
            # that while it answers, and stops listening when it has).
            await asyncio.Event().wait()
        if chunk is None:
            pending[0] = False
            return {"type": "http.request", "body": b"", "more_body": False}
        pending[0] = next(chunks, None)
        more = pending[0] is not None
        if not more:
            pending[0] = False
        return {"type": "http.request", "body": chunk, "more_body": more}

    async def send(message):
        if message["type"] == "http.response.start":
            state["status"], state["headers"] = message["status"], message["headers"]
        elif message["type"] == "http.response.body":
            state["body"] += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    async_to_sync(application)(scope, receive, send)
    return state["status"], dict(state["headers"]), state["body"], state["calls"]


def gigabyte():
    block = b"z" * MiB
    for _ in range(1024):
        yield block


def test_declared_oversized_body_is_refused_before_a_byte_is_read():
    before = written()
    status, headers, body, calls = call_asgi(
        "POST",
        "/api/v1/incidents/",
        {"content-type": "application/json", "content-length": str(2**30)},
        gigabyte(),
    )
    assert status == 413 and calls == 0
    assert headers[b"connection"] == b"close"
    import json

    assert_too_large_error(json.loads(body))
    assert written() - before < 256 * 1024


def test_chunked_oversized_body_is_cut_off_at_the_limit_and_never_reaches_disk():
    before = written()
    status, headers, body, calls = call_asgi(
        "POST",
        API_IMPORT,
        {"content-type": "multipart/form-data; boundary=x", "transfer-encoding": "chunked"},
        gigabyte(),
    )
    assert status == 413
    # 20 MiB of uploads allowed: reading stopped within one chunk of it, out of 1,024.
    assert calls == 21
    import json

    assert json.loads(body)["error"]["message"] == "请求超过大小上限 20 MiB。"
    assert written() - before < 256 * 1024


def test_an_accepted_body_is_spooled_by_django_so_the_measure_above_sees_disk_writes():
    # The control for the two tests above: 12 MiB within the upload limit reach Django, whose ASGI
    # handler spools a body over 5 MiB to a temporary file before any middleware runs.
    before = written()
    status, _headers, _body, calls = call_asgi(
        "POST",
        API_IMPORT,
        {"content-type": "multipart/form-data; boundary=x", "content-length": str(12 * MiB)},
        (b"z" * MiB for _ in range(12)),
    )
    assert calls >= 12 and 400 <= status < 500
    assert written() - before > 5 * MiB


def test_refusal_page_outside_the_api_follows_the_language_cookie():
    head = {"content-type": "multipart/form-data; boundary=x", "content-length": str(30 * MiB)}
    status, headers, body, calls = call_asgi("POST", PAGE_IMPORT, head)
    assert status == 413 and calls == 0 and headers[b"content-type"].startswith(b"text/html")
    assert "<h1>请求过大</h1>" in body.decode() and "请求超过大小上限 20 MiB。" in body.decode()
    status, _headers, body, _calls = call_asgi("POST", PAGE_IMPORT, {**head, "cookie": "django_language=en"})
    assert status == 413 and "The request is larger than the limit of 20 MiB." in body.decode()


def test_small_bodies_pass_through_unchanged():
    status, _headers, body, _calls = call_asgi("GET", "/api/v1/me", {})
    assert status == 401 and b"not_authenticated" in body
    status, _headers, body, _calls = call_asgi(
        "POST",
        "/api/v1/incidents/",
        {"content-type": "application/json", "transfer-encoding": "chunked"},
        [b"{}"],
    )
    assert status in (401, 403) and b"too_large" not in body  # Django's answer (no login), not a refusal


# --- uvicorn with a temporary directory of 2 MiB ---------------------------------------------------


@pytest.fixture(scope="module")
def cramped_server(tmp_path_factory):
    if not can_unshare():
        pytest.skip(
            "needs unshare (user and mount namespaces) to give the server a small temporary directory"
        )
    tmp_path = tmp_path_factory.mktemp("cramped")
    env = {"CITYWATCH_DATA_DIR": str(tmp_path / "data"), "CITYWATCH_DEBUG": "false"}
    with uvicorn_server(tmp_path, env, small_tmp=2 * MiB) as server:
        yield server


def multipart_head(path, size, extra=""):
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {size}{extra}"
    )


def test_upload_that_fills_the_temporary_directory_is_507_not_500(cramped_server):
    body = b'--x\r\nContent-Disposition: form-data; name="file"; filename="s.csv"\r\n\r\n'
    body += b"name\n" + b"w" * (15 * 1000 * 1000) + b"\r\n--x--\r\n"
    r = raw_request(cramped_server.port, multipart_head(API_IMPORT, len(body)), body=body)
    assert r.status == 507, (r.status, r.body[:300], cramped_server.log.read_text()[-2000:])
    assert r.json()["error"]["code"] == "insufficient_storage"
    assert "磁盘已满" in r.json()["error"]["message"]
    r = raw_request(cramped_server.port, multipart_head(PAGE_IMPORT, len(body)), body=body)
    assert r.status == 507 and "<h1>没有空间保存上传的文件</h1>" in r.text
    # The partial spool was released. Django closes the request's files after the answer is sent, so
    # the client can read the answer a moment before the file goes: wait for it, boundedly.
    assert wait_for(lambda: cramped_server.tmp_used() == 0), cramped_server.tmp_used()


def test_declared_gigabyte_is_refused_without_being_sent(cramped_server):
    r = raw_request(cramped_server.port, multipart_head(API_IMPORT, 2**30), timeout=20)
    assert r.status == 413 and r.sent == 0
    assert r.json()["error"]["code"] == "too_large"


def test_chunked_gigabyte_is_refused_at_the_limit_and_nothing_reaches_the_disk(cramped_server):
    used = []
    head = (
        f"POST {API_IMPORT} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked"
    )
    r = raw_request(
        cramped_server.port, head, chunks=gigabyte(), on_chunk=lambda: used.append(cramped_server.tmp_used())
    )
    assert r.status == 413, (r.status, r.body[:300])
    assert r.json()["error"]["code"] == "too_large"
    assert r.sent < 200 * MiB  # the answer came while the client was still sending, long before 1 GiB
    assert max(used) == 0 and cramped_server.tmp_used() == 0
