"""A production-style server started by a test, a raw HTTP/1.1 client to talk to it, and a SpatiaLite
database file of its own for such a server (``seeded_spatialite``).

``uvicorn_server(env)`` runs ``uvicorn citywatch.asgi:application`` (what production runs) on a free port
of 127.0.0.1 with this worktree's code and the given environment (a data directory of the test's own,
a database…), waits until it accepts connections and stops it afterwards. ``small_tmp`` (a size in
bytes) runs it in a user and mount namespace of its own (``unshare``) whose temporary directory is a
tmpfs of that size: a full disk, without touching the machine's.

``raw_request`` writes the request bytes itself, so a test can declare a body it never sends or stream
chunks, and reads the answer while it is still sending (a server that refuses a body answers before
the body has been sent).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path
    tmp: Path | None = None

    def tmp_used(self) -> int:
        """Bytes in use on the server's own temporary directory (seen through /proc/PID/root)."""
        stats = os.statvfs(f"/proc/{self.process.pid}/root{self.tmp}")
        return (stats.f_blocks - stats.f_bfree) * stats.f_frsize


def wait_for(condition, seconds: float = 15.0) -> bool:
    """Whether ``condition()`` became true within ``seconds``: for what a server does just after it
    answers (closing a request's files), which a client can otherwise observe a moment too early."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True, timeout=10
    )
    return probe.returncode == 0


@contextlib.contextmanager
def uvicorn_server(tmp_path: Path, env: dict, *, small_tmp: int | None = None, timeout: float = 60):
    port = free_port()
    log = tmp_path / f"uvicorn-{port}.log"
    serve = [
        sys.executable,
        "-m",
        "uvicorn",
        "citywatch.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    environment = {**os.environ, **env, "PYTHONPATH": str(SRC)}
    tmp = None
    if small_tmp is not None:
        tmp = tmp_path / "server-tmp"
        tmp.mkdir()
        environment["TMPDIR"] = str(tmp)
        mount = f'mount -t tmpfs -o size={small_tmp} tmpfs "$0" && exec "$@"'
        serve = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", mount, str(tmp), *serve]
    with open(log, "wb") as out:
        process = subprocess.Popen(serve, env=environment, stdout=out, stderr=subprocess.STDOUT)
    server = Server(port, process, log, tmp)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server stopped at start-up:\n{log.read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start in {timeout} s:\n{log.read_text()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Answer:
    status: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    sent: int = 0  # body bytes the client managed to send

    def json(self):
        import json

        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def raw_request(
    port: int, head: str, body: bytes = b"", chunks=None, timeout: float = 60, on_chunk=None
) -> Answer:
    """Send ``head`` (request line and headers, without the blank line), then ``body`` or ``chunks``
    (an iterable, sent with chunked transfer encoding) from a thread, while this thread reads the
    answer; ``on_chunk()`` runs before each chunk is sent."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    answer = Answer(status=0)

    def send():
        try:
            sock.sendall(head.encode("latin-1") + b"\r\n\r\n")
            if body:
                sock.sendall(body)
                answer.sent += len(body)
            if chunks is not None:
                for chunk in chunks:
                    if on_chunk is not None:
                        on_chunk()
                    sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                    answer.sent += len(chunk)
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed the connection: the rest is not wanted

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            block = sock.recv(65536)
            if not block:
                break
            data += block
        head_bytes, _, rest = data.partition(b"\r\n\r\n")
        lines = head_bytes.decode("latin-1").split("\r\n")
        answer.status = int(lines[0].split()[1])
        answer.headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
        }
        length = int(answer.headers.get("content-length", "-1"))
        while length < 0 or len(rest) < length:
            block = sock.recv(65536)
            if not block:
                break
            rest += block
        answer.body = rest if length < 0 else rest[:length]
    finally:
        sock.close()
        sender.join(timeout=timeout)
    return answer


SEED = """
import json
import django

django.setup()
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from citywatch.core import actions
from citywatch.resources import actions as resources
from citywatch.resources.kinds import get_kind

city, _ = actions.save_area(code="350200", name="厦门市", level="city")
square = MultiPolygon(Polygon.from_bbox((118.0, 24.4, 118.2, 24.6)), srid=4326)
point = Point(118.1, 24.5, srid=4326)
district, _ = actions.save_area(
    code="350203", name="思明区", level="district", parent=city, boundary=square, point=point
)
user, _ = actions.save_user(
    username="operator", role="city_admin", jurisdiction=city, password=PASSWORD, must_change_password=False
)
_token, secret = actions.create_api_token(user)
fields = {"name": "锁测试避难所", "location": point, "area": district,
          "kind": "disaster_point", "capacity": 100}
shelter, _ = resources.save_resource(get_kind("shelters"), fields)
print(json.dumps({"token": secret, "shelter": shelter.pk}))
"""

_SEEDED: dict[Path, dict] = {}
_TEMPLATE: list[Path] = []


def migrated_spatialite(path: Path) -> None:
    """Put a freshly migrated SpatiaLite database at ``path``: ``citywatch migrate`` runs once per test
    session into a template file (about 8 s of CPU), which every caller then copies."""
    if not _TEMPLATE:
        import atexit
        import tempfile

        root = Path(tempfile.mkdtemp(prefix="citywatch-template-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        template = root / "citywatch.sqlite3"
        env = {
            **os.environ,
            "PYTHONPATH": str(SRC),
            "CITYWATCH_DATA_DIR": str(root / "data"),
            "CITYWATCH_DATABASE_URL": f"spatialite:///{template}",
            "DJANGO_SETTINGS_MODULE": "citywatch.settings",
        }
        subprocess.run(
            [sys.executable, "-m", "citywatch.cli", "migrate", "-v", "0"], env=env, check=True, timeout=600
        )
        _TEMPLATE.append(template)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_TEMPLATE[0], path)


def seeded_spatialite(data_dir: Path, password: str) -> dict:
    """A SpatiaLite database file of its own, migrated and seeded (a city, a district with a square
    boundary, a city-wide user ``operator`` with an API token, one shelter), made once per directory by
    subprocesses. Returns {"path", "url", "token", "shelter", "env"}."""
    if data_dir in _SEEDED:
        return _SEEDED[data_dir]
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "citywatch.sqlite3"
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "CITYWATCH_DATA_DIR": str(data_dir),
        "CITYWATCH_DATABASE_URL": f"spatialite:///{path}",
        "DJANGO_SETTINGS_MODULE": "citywatch.settings",
    }
    migrated_spatialite(path)
    seeded = subprocess.run(
        [sys.executable, "-c", f"PASSWORD = {password!r}\n" + SEED],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    import json

    info = json.loads(seeded.stdout.strip().splitlines()[-1])
    _SEEDED[data_dir] = {
        **info,
        "path": path,
        "url": env["CITYWATCH_DATABASE_URL"],
        "env": {k: env[k] for k in ("CITYWATCH_DATA_DIR", "CITYWATCH_DATABASE_URL")},
    }
    return _SEEDED[data_dir]
