"""A production-style server started by a test, and a raw HTTP/1.1 client to talk to it.

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

SRC = Path(__file__).resolve().parent.parent / "src"


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
