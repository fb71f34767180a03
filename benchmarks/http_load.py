"""HTTP load on the production server, on loopback: ``citywatch bench http`` and a reusable harness.

The harness (for any ``citywatch bench <suite>`` that measures HTTP):

* ``production_server(workers=…, env=…)`` — a context manager that starts ``citywatch serve`` (the
  production server: readiness checks, uvicorn with ``workers`` processes) on a free port of 127.0.0.1
  with the configured instance (``CITYWATCH_DATA_DIR``, ``CITYWATCH_DATABASE_URL``, …, overridable by
  ``env``), waits until every worker process has started and ``/livez`` answers, yields a ``Server``
  (``port``, ``url(path)``, ``log``) and stops the server's process group afterwards.
* ``drive(port, requests, count=…, seconds=…, concurrency=…, headers=…)`` — a bounded load: at most
  ``count`` requests and at most ``seconds`` of wall time, ``concurrency`` keep-alive HTTP/1.1
  connections (a small asyncio client, so the client costs little next to the server), ``requests``
  cycled (paths, or ``(method, path, body)`` triples). Returns a ``Load``: requests/s, p50, p99,
  errors (any status ≥ 400 or a broken connection), the statuses seen.
* ``line(name, load, baseline_name, baseline_load, **params)`` — one JSON line in the house form
  ``{"name", "value", "unit", "baseline", "baseline_value", "ratio", "params"}`` (the ``benchmarks/nearby.py``
  form), with p50/p99/errors in ``params``.

``run()`` is ``citywatch bench http``: a throwaway city-wide user with an API token is made in the
configured database (and removed afterwards); a single-process baseline is measured first in the same
run (one uvicorn process with Django's stock ASGI handler — a new thread and database connection per
request, as CityWatch served before ``citywatch serve`` — and one process of today's server), then the
server with the configured workers is driven with four kinds of request, each reported beside the
trivial endpoint of the same server:

* ``trivial``: ``GET /livez`` (the whole middleware stack, no database);
* ``me``: ``GET /api/v1/me`` with a bearer token;
* ``nearby``: ``GET /api/v1/nearby`` around points of the city (every ranked kind, 20 of each);
* ``incidents``: ``GET /api/v1/incidents/?limit=20``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SIZES = {
    "full": {"count": 20_000, "seconds": 20.0, "concurrency": 16, "warmup": 3.0, "baseline_seconds": 15.0},
    "quick": {"count": 300, "seconds": 5.0, "concurrency": 4, "warmup": 0.5, "baseline_seconds": 3.0},
}


# --- the server --------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    port: int
    workers: int
    process: subprocess.Popen
    log: Path

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _get(port: int, path: str, timeout: float = 5.0) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        head = sock.recv(4096).split(b"\r\n", 1)[0]
    return int(head.split()[1])


@contextlib.contextmanager
def production_server(
    workers: int | None = None,
    env: dict | None = None,
    *,
    args: Sequence[str] = (),
    timeout: float = 180.0,
    log_dir: Path | None = None,
) -> Iterator[Server]:
    """``citywatch serve`` on a free loopback port; ``workers`` None means the command's default (cores).
    ``env`` is added to this process's environment; ``args`` are more options of ``citywatch serve``."""
    port = free_port()
    if workers is None:
        workers = len(os.sched_getaffinity(0))
    command = [
        sys.executable,
        "-m",
        "citywatch.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        *args,
    ]
    environment = {**os.environ, **(env or {}), "CITYWATCH_LOG_LEVEL": "WARNING"}
    log_dir = Path(log_dir or tempfile.gettempdir())
    log = log_dir / f"citywatch-bench-server-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            command, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(port, workers, process, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server stopped at start-up:\n{log.read_text(errors='replace')}")
            started = log.read_text(errors="replace").count("Application startup complete")
            if started >= workers:
                with contextlib.suppress(OSError, ValueError, IndexError):
                    if _get(port, "/livez") == 200:
                        break
            if time.monotonic() > deadline:
                output = log.read_text(errors="replace")
                raise RuntimeError(f"the server did not start in {timeout} s:\n{output}")
            time.sleep(0.2)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- the load --------------------------------------------------------------------------------------
@dataclass
class Load:
    requests: int
    seconds: float
    errors: int
    latencies_ms: list[float] = field(repr=False, default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    concurrency: int = 1
    error_examples: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float | None:
        if not self.latencies_ms:
            return None
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(q) - 1]

    @property
    def p50_ms(self) -> float | None:
        return self.percentile(50)

    @property
    def p99_ms(self) -> float | None:
        return self.percentile(99)

    def summary(self) -> dict:
        def r(v):
            return None if v is None else round(v, 2)

        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "p50_ms": r(self.p50_ms),
            "p99_ms": r(self.p99_ms),
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "concurrency": self.concurrency,
            **({"error_examples": self.error_examples[:3]} if self.error_examples else {}),
        }


class _Connection:
    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(p[:-2] for p in parts)
        else:
            body = await self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body


def _raw(request, port: int, headers: dict[str, str]) -> bytes:
    method, path, body = ("GET", request, b"") if isinstance(request, str) else request
    body = body or b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _drive(port, requests, count, seconds, concurrency, headers, warmup) -> Load:
    raws = [_raw(r, port, headers) for r in requests]
    load = Load(0, 0.0, 0, concurrency=concurrency)
    issued = 0

    async def worker(until: float, record: bool, limit: int | None):
        nonlocal issued
        conn = _Connection(port)
        try:
            while time.perf_counter() < until and (limit is None or issued < limit):
                raw = raws[issued % len(raws)]
                issued += 1
                t = time.perf_counter()
                try:
                    status, body = await conn.request(raw)
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                    conn.close()
                    if record:
                        load.requests += 1
                        load.errors += 1
                        load.error_examples.append(f"{exc.__class__.__name__}: {exc}"[:200])
                    continue
                if record:
                    load.latencies_ms.append((time.perf_counter() - t) * 1000)
                    load.requests += 1
                    load.statuses[status] = load.statuses.get(status, 0) + 1
                    if status >= 400:
                        load.errors += 1
                        load.error_examples.append(f"{status}: {body[:200].decode('utf-8', 'replace')}")
        finally:
            conn.close()

    if warmup > 0:
        until = time.perf_counter() + warmup
        await asyncio.gather(*(worker(until, False, None) for _ in range(concurrency)))
        issued = 0
    start = time.perf_counter()
    await asyncio.gather(*(worker(start + seconds, True, count) for _ in range(concurrency)))
    load.seconds = time.perf_counter() - start
    return load


def drive(
    port: int,
    requests: Sequence,
    *,
    count: int = 1000,
    seconds: float = 10.0,
    concurrency: int = 8,
    headers: dict[str, str] | None = None,
    warmup: float = 0.0,
) -> Load:
    """At most ``count`` requests in at most ``seconds`` (after ``warmup`` seconds not counted) over
    ``concurrency`` keep-alive connections; ``requests`` are cycled."""
    if not requests:
        raise ValueError("no requests to send")
    return asyncio.run(_drive(port, list(requests), count, seconds, concurrency, dict(headers or {}), warmup))


def line(name: str, load: Load, baseline: str | None, baseline_load: Load | None, **params) -> dict:
    base_value = None if baseline_load is None else baseline_load.rate
    return {
        "name": name,
        "value": round(load.rate, 3),
        "unit": "requests/s",
        "baseline": baseline,
        "baseline_value": None if base_value is None else round(base_value, 3),
        "ratio": None if not base_value else round(load.rate / base_value, 2),
        "params": {**load.summary(), **params},
    }


# --- citywatch bench http --------------------------------------------------------------------------
BENCH_USERNAME = "bench-http"


@contextlib.contextmanager
def bench_token() -> Iterator[str]:
    """A city-wide administrator with an API token for the length of the benchmark (removed after)."""
    from citywatch.core import actions
    from citywatch.core.models import AdminArea, User

    city = AdminArea.objects.filter(level__in=("city", "province")).order_by("level", "code").first()
    User.objects.filter(username=BENCH_USERNAME).delete()
    user, _ = actions.save_user(
        username=BENCH_USERNAME, role="city_admin", jurisdiction=city, must_change_password=False
    )
    _token, secret = actions.create_api_token(user)
    try:
        yield secret
    finally:
        User.objects.filter(username=BENCH_USERNAME).delete()


def nearby_points(n: int = 50, seed: int = 7) -> list[tuple[float, float]]:
    """Points where the registry has resources (jittered around them), or the city's centre."""
    import random

    from citywatch.resources.kinds import KINDS, NEARBY_KINDS

    rng = random.Random(seed)
    located = []
    for slug in NEARBY_KINDS:
        found = KINDS[slug].model.objects.filter(location__isnull=False).values_list("location", flat=True)
        located += [(p.x, p.y) for p in found[:200]]
    if not located:
        return [(118.089, 24.479)]
    return [
        (round(x + rng.uniform(-0.01, 0.01), 6), round(y + rng.uniform(-0.01, 0.01), 6))
        for x, y in rng.sample(located, min(n, len(located)))
    ]


def run(
    quick: bool = False, seed: int | None = None, only: list[str] | None = None, workers: int | None = None
) -> Iterator[dict]:
    """``citywatch bench http`` (``seed`` is unused: the requests are the same every run)."""
    size = SIZES["quick" if quick else "full"]
    workers = workers or len(os.sched_getaffinity(0))
    machine = {"cpus": os.cpu_count(), "workers": workers, "loadavg_1m": round(os.getloadavg()[0], 2)}
    with bench_token() as secret:
        auth = {"Authorization": f"Bearer {secret}"}
        scenarios = {
            "trivial": (["/livez"], {}),
            "me": (["/api/v1/me"], auth),
            "nearby": (
                [f"/api/v1/nearby?lon={x}&lat={y}" for x, y in nearby_points()],
                auth,
            ),
            "incidents": (["/api/v1/incidents/?limit=20"], auth),
        }
        wanted = [name for name in scenarios if not only or name in only or name in ("trivial", "me")]

        def measure(server, name, seconds):
            paths, headers = scenarios[name]
            return drive(
                server.port,
                paths,
                count=size["count"],
                seconds=seconds,
                concurrency=size["concurrency"],
                headers=headers,
                warmup=size["warmup"],
            )

        # The single-process baselines: as CityWatch served before, then today's server with one process.
        # Each with the trivial endpoint and `me` (the lightest request that reads the database).
        with production_server(1, {"CITYWATCH_REQUEST_THREADS": "0", "CITYWATCH_DB_CONN_MAX_AGE": "0"}) as s:
            stock = measure(s, "trivial", size["baseline_seconds"])
            stock_me = measure(s, "me", size["baseline_seconds"])
        with production_server(1) as s:
            single = measure(s, "trivial", size["baseline_seconds"])
            single_me = measure(s, "me", size["baseline_seconds"])
        with production_server(workers) as s:
            loads = {name: measure(s, name, size["seconds"]) for name in wanted}
    trivial = loads["trivial"]
    yield line(
        "http_trivial_single_process_stock_handler",
        stock,
        None,
        None,
        endpoint="/livez",
        workers=1,
        note="one uvicorn process, Django's stock ASGI handler (a thread and a connection per request)",
        machine=machine,
    )
    yield line(
        "http_me_single_process_stock_handler",
        stock_me,
        None,
        None,
        endpoint="/api/v1/me",
        workers=1,
        note="one uvicorn process, Django's stock ASGI handler (a thread and a connection per request)",
        machine=machine,
    )
    yield line(
        "http_trivial_single_process",
        single,
        "http_trivial_single_process_stock_handler",
        stock,
        endpoint="/livez",
        workers=1,
        machine=machine,
    )
    yield line(
        "http_me_single_process",
        single_me,
        "http_me_single_process_stock_handler",
        stock_me,
        endpoint="/api/v1/me",
        workers=1,
        machine=machine,
    )
    yield line(
        "http_trivial",
        trivial,
        "http_trivial_single_process_stock_handler",
        stock,
        endpoint="/livez",
        workers=workers,
        vs_single_process_today=round(trivial.rate / single.rate, 2) if single.rate else None,
        machine=machine,
    )
    for name in wanted:
        if name == "trivial":
            continue
        paths, _headers = scenarios[name]
        extra = {}
        if name == "me" and stock_me.rate:
            extra["vs_me_single_process_stock_handler"] = round(loads[name].rate / stock_me.rate, 2)
        yield line(
            f"http_{name}",
            loads[name],
            "http_trivial",
            trivial,
            endpoint=paths[0].split("?")[0],
            distinct_requests=len(paths),
            workers=workers,
            machine=machine,
            **extra,
        )


BENCHMARKS = {"trivial": None, "me": None, "nearby": None, "incidents": None}  # --only choices


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citywatch.settings")
    import django

    django.setup()
    for result in run(args.quick, workers=args.workers):
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    sys.exit(main())
