"""`citywatch serve`: it refuses to start a half-ready instance, `--prepare` makes a fresh data directory
ready and the server then serves pages at once; /healthz reports the static files and, like /livez,
answers a load balancer's plain-HTTP probe behind the HTTPS redirect."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from django.test import Client, override_settings

from tests.support.servers import SRC, free_port, raw_request

pytestmark = pytest.mark.django_db

MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def test_healthz_reports_static_files_not_collected(tmp_path, anon):
    with override_settings(STORAGES=MANIFEST_STORAGE, STATIC_ROOT=tmp_path / "static"):
        response = Client().get("/healthz")
    assert response.status_code == 503
    static = response.json()["checks"]["static"]
    assert static["ok"] is False and static["checked"] is True
    assert static["missing"] == static["files"] > 0 and "collectstatic" in static["hint"]


def test_healthz_and_livez_are_exempt_from_the_https_redirect(anon):
    with override_settings(SECURE_SSL_REDIRECT=True):
        client = Client()
        assert client.get("/login/").status_code == 301  # pages go to HTTPS
        assert client.get("/healthz").status_code in (200, 503)  # probes are answered over HTTP
        assert client.get("/livez").status_code == 200


def _cli(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "citywatch.cli", *args], env=env, capture_output=True, text=True, **kwargs
    )


def sockets_of_children(parent: int, port: int) -> dict[int, tuple[frozenset, int]]:
    """For each child process of ``parent`` that holds a socket of ``port``: the listening sockets it
    holds (kernel inodes) and how many established connections (from ``/proc``: the processes' socket
    inodes and the kernel's TCP tables)."""
    listening, established = set(), set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    {"0A": listening, "01": established}.get(fields[3], set()).add(fields[9])
    held = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            if ppid != parent:
                continue
            links = [os.readlink(f"/proc/{entry}/fd/{fd}") for fd in os.listdir(f"/proc/{entry}/fd")]
        except (FileNotFoundError, ProcessLookupError):
            continue
        inodes = {link[8:-1] for link in links if link.startswith("socket:[")}
        if inodes & (listening | established):
            held[int(entry)] = (frozenset(inodes & listening), len(inodes & established))
    return held


@pytest.mark.skipif(
    os.environ.get("CITYWATCH_DATABASE_URL", "").startswith("postgis"),
    reason="a fresh data directory of its own, on SpatiaLite",
)
def test_serve_refuses_half_ready_and_prepares_a_fresh_data_directory(tmp_path):
    data = tmp_path / "fresh"
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "CITYWATCH_DATA_DIR": str(data),
        "CITYWATCH_DEBUG": "false",
        "CITYWATCH_STATIC_COMPRESS": "false",  # the manifest without the minute of gzip and Brotli
        "DJANGO_SETTINGS_MODULE": "citywatch.settings",
    }
    env.pop("CITYWATCH_DATABASE_URL", None)
    refused = _cli(env, "serve", "--check", timeout=300)
    assert refused.returncode != 0
    assert "not ready" in refused.stderr and "migrations are not applied" in refused.stderr
    assert "static files are not collected" in refused.stderr and "--prepare" in refused.stderr

    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "citywatch.cli",
                "serve",
                "--prepare",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 600
        while True:
            assert server.poll() is None, log.read_text()
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        page = raw_request(port, "GET /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close")
        assert page.status == 200, page.text[:500]
        css = [part.split('"')[0] for part in page.text.split('href="/static/')[1:] if ".css" in part]
        assert css and all("." in name.rsplit("/", 1)[-1] for name in css)  # hashed names from the manifest
        asset = raw_request(port, f"GET /static/{css[0]} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close")
        assert asset.status == 200
        health = raw_request(port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close").json()
        assert health["checks"]["static"]["ok"] and health["checks"]["migrations"]["ok"]
        # Each worker listens on a socket of its own (SO_REUSEPORT; uvicorn's workers share one, and the
        # first awake takes every connection waiting), and the kernel spreads connections over them.
        clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(32)]
        try:
            for client in clients:
                client.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            for client in clients:
                assert client.recv(4096).startswith(b"HTTP/1.1 200")
            held = sockets_of_children(server.pid, port)
            assert len(held) == 2, held
            (first, one), (second, other) = held.values()
            assert len(first) == len(second) == 1 and first != second, held
            assert one and other and one + other == 32, held
        finally:
            for client in clients:
                client.close()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assert _cli(env, "serve", "--check", timeout=300).returncode == 0


def test_a_collected_file_older_than_its_source_is_stale(tmp_path):
    """After an upgrade without ``collectstatic`` the collected copy is older than the code's file: the
    check names it (``serve`` refuses, ``citywatch demo`` collects again); a fresh copy is not stale."""
    import os

    from django.core.files.storage import FileSystemStorage

    from citywatch.health import stale_static

    source, collected = tmp_path / "src", tmp_path / "static"
    (source / "js").mkdir(parents=True)
    (collected / "js").mkdir(parents=True)
    for name in ("onemap.js", "format.js"):
        (source / "js" / name).write_text("// new")
        (collected / "js" / name).write_text("// copy")
    storage = FileSystemStorage(location=source)
    entries = [("js/onemap.js", storage), ("js/format.js", storage), ("js/missing.js", storage)]
    os.utime(collected / "js" / "onemap.js", (1_000_000_000, 1_000_000_000))  # collected long ago
    os.utime(source / "js" / "onemap.js", (1_700_000_000, 1_700_000_000))  # changed since
    os.utime(source / "js" / "format.js", (1_000_000_000, 1_000_000_000))  # unchanged since the copy
    assert stale_static(entries, collected) == ["js/onemap.js"]
