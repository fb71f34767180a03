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
configured database (and removed afterwards); three servers are started side by side on loopback:

* ``stock``: one process with Django's stock ASGI handler (a new thread and database connection per
  request, as CityWatch served before ``citywatch serve``) — the single-process baseline;
* ``single``: one process of today's server;
* ``served``: today's server with the configured workers (default: cores).

Each line (``PLAN``) is one kind of request on one server, bounded by count and time, and the lines are
measured in interleaved rounds (every line's first slice, then every line's second, …), so that the
shared machine's changing load falls on all lines alike. Requests:

* ``trivial``: ``GET /livez`` (the whole middleware stack, no database);
* ``me``: ``GET /api/v1/me`` with a bearer token;
* ``nearby``: ``GET /api/v1/nearby`` around 50 points of the city, cycled (every ranked kind, 20 of
  each): after the first round each is a question asked before (the one-map's case);
* ``nearby_distinct``: the same at a new point for every request (never answered before: the search);
* ``incidents``: ``GET /api/v1/incidents/?limit=20``.

Every line is reported beside its baseline (``ratio``): the stock single process for the baselines and
the served trivial endpoint, the served trivial endpoint for the other served lines. ``target`` (in the
params of ``http_nearby`` and ``http_trivial``) and the last line, ``http_targets``, check the issue's
targets: no errors; nearby at least half the trivial rate; trivial at least 5x the single process.
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


def server_cpu_seconds(server: Server) -> float:
    """CPU seconds (user + system) used so far by the server's processes (its process group: uvicorn's
    supervisor and workers), from /proc; 0.0 where there is no /proc."""
    total = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0.0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) == server.process.pid:  # the process group: the server's session
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


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

    def add(self, other: Load) -> Load:
        """This load and ``other`` (another slice of the same requests) as one."""
        statuses = dict(self.statuses)
        for status, n in other.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
        return Load(
            self.requests + other.requests,
            self.seconds + other.seconds,
            self.errors + other.errors,
            self.latencies_ms + other.latencies_ms,
            statuses,
            max(self.concurrency, other.concurrency),
            (self.error_examples + other.error_examples)[:3],
        )

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


async def _drive(port, requests, count, seconds, concurrency, headers, warmup, on_start=None) -> Load:
    raws = [_raw(r, port, headers) for r in requests]
    load = Load(0, 0.0, 0, concurrency=concurrency)
    issued = 0  # requests of this phase (the bound)
    position = 0  # the next request of the list: the measured phase goes on where the warm-up stopped

    async def worker(until: float, record: bool, limit: int | None):
        nonlocal issued, position
        conn = _Connection(port)
        try:
            while time.perf_counter() < until and (limit is None or issued < limit):
                raw = raws[position % len(raws)]
                issued += 1
                position += 1
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
    if on_start is not None:
        on_start()
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
    on_start=None,
) -> Load:
    """At most ``count`` requests in at most ``seconds`` (after ``warmup`` seconds not counted) over
    ``concurrency`` keep-alive connections; ``requests`` are cycled. ``on_start`` is called when the
    measured part begins (after the warm-up)."""
    if not requests:
        raise ValueError("no requests to send")
    coroutine = _drive(
        port, list(requests), count, seconds, concurrency, dict(headers or {}), warmup, on_start
    )
    try:  # the client's own cost per request, smaller with uvloop (the server uses it too)
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


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

# What each line holds: (line name, server, scenario, baseline line). Servers: "stock" — one process with
# Django's stock ASGI handler (a new thread and database connection per request: how CityWatch served
# before ``citywatch serve``); "single" — one process of today's server; "served" — today's server with
# the configured workers.
PLAN = (
    ("http_trivial_single_process_stock_handler", "stock", "trivial", None),
    ("http_me_single_process_stock_handler", "stock", "me", None),
    ("http_trivial_single_process", "single", "trivial", "http_trivial_single_process_stock_handler"),
    ("http_me_single_process", "single", "me", "http_me_single_process_stock_handler"),
    ("http_nearby_distinct_single_process", "single", "nearby_distinct", "http_trivial_single_process"),
    ("http_trivial", "served", "trivial", "http_trivial_single_process_stock_handler"),
    ("http_me", "served", "me", "http_trivial"),
    ("http_nearby", "served", "nearby", "http_trivial"),
    ("http_nearby_distinct", "served", "nearby_distinct", "http_trivial"),
    ("http_incidents", "served", "incidents", "http_trivial"),
)
SERVER_ENV = {
    "stock": {"CITYWATCH_REQUEST_THREADS": "0", "CITYWATCH_DB_CONN_MAX_AGE": "0"},
    "single": {},
    "served": {},
}
# The targets (issue 10), checked on every run: no errors; nearby at least half the trivial
# endpoint's rate; the trivial endpoint at least 5x the single process as CityWatch served before.
TARGETS = {
    "http_nearby": ("http_trivial", 0.5),
    "http_trivial": ("http_trivial_single_process_stock_handler", 5.0),
}
# Distinct points for one slice of ``nearby_distinct`` (more than a slice sends at these rates).
DISTINCT_PER_ROUND = 5000
SIZES["full"]["rounds"] = 4
SIZES["quick"]["rounds"] = 1
SIZES["full"]["slice_warmup"] = 0.5
SIZES["quick"]["slice_warmup"] = 0.2


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


def distinct_points(n: int, seed: int = 11) -> list[tuple[float, float]]:
    """``n`` points near the registry's records, every one different (no answer can be reused)."""
    import random

    rng = random.Random(seed)
    around = nearby_points(1000, seed)
    points = {
        (round(x + rng.uniform(-0.01, 0.01), 6), round(y + rng.uniform(-0.01, 0.01), 6))
        for x, y in (rng.choice(around) for _ in range(n + n // 10))
    }
    return sorted(points, key=lambda _p: rng.random())[:n]


def run(
    quick: bool = False, seed: int | None = None, only: list[str] | None = None, workers: int | None = None
) -> Iterator[dict]:
    """``citywatch bench http`` (``seed`` is unused: the requests are the same every run).

    The three servers run side by side (an idle server costs no CPU) and the lines are measured in
    ``rounds`` interleaved slices — every line's slice of round 1, then of round 2, … — so that a change
    in the shared machine's load falls on every line alike instead of on whichever ran at that moment.
    A line's figure is its requests over its time summed over the rounds; ``params.rounds_rate`` gives
    each slice's rate, to show the spread."""
    size = SIZES["quick" if quick else "full"]
    workers = workers or len(os.sched_getaffinity(0))
    rounds = size["rounds"]
    with bench_token() as secret:
        auth = {"Authorization": f"Bearer {secret}"}
        scenarios = {
            "trivial": (["/livez"], {}),
            "me": (["/api/v1/me"], auth),
            "nearby": ([f"/api/v1/nearby?lon={x}&lat={y}" for x, y in nearby_points()], auth),
            "nearby_distinct": (
                [f"/api/v1/nearby?lon={x}&lat={y}" for x, y in distinct_points(DISTINCT_PER_ROUND * rounds)],
                auth,
            ),
            "incidents": (["/api/v1/incidents/?limit=20"], auth),
        }
        plan = [p for p in PLAN if not only or p[2].split("_")[0] in only or p[2] == "trivial"]
        counts = {"stock": 1, "single": 1, "served": workers}
        used = {server for _name, server, _scenario, _base in plan}
        with contextlib.ExitStack() as stack:
            servers = {
                name: stack.enter_context(production_server(counts[name], SERVER_ENV[name]))
                for name in ("stock", "single", "served")
                if name in used
            }
            loads: dict[str, Load] = {}
            slices: dict[str, list[float]] = {name: [] for name, *_ in plan}
            loadavg: dict[str, list[float]] = {name: [] for name, *_ in plan}
            cpu: dict[str, float] = dict.fromkeys(slices, 0.0)
            for round_ in range(rounds):
                for name, server, scenario, _base in plan:
                    paths, headers = scenarios[scenario]
                    if scenario == "nearby_distinct":  # each round its own points
                        paths = paths[round_ * DISTINCT_PER_ROUND : (round_ + 1) * DISTINCT_PER_ROUND]
                    baseline_line = server in ("stock", "single") and scenario in ("trivial", "me")
                    total = size["baseline_seconds"] if baseline_line else size["seconds"]
                    loadavg[name].append(os.getloadavg()[0])
                    started = []
                    load = drive(
                        servers[server].port,
                        paths,
                        count=max(1, size["count"] // rounds),
                        seconds=total / rounds,
                        concurrency=size["concurrency"],
                        headers=headers,
                        warmup=size["warmup"] if round_ == 0 else size["slice_warmup"],
                        on_start=lambda s=servers[server], started=started: started.append(
                            server_cpu_seconds(s)
                        ),
                    )
                    cpu[name] += server_cpu_seconds(servers[server]) - started[0]
                    slices[name].append(round(load.rate, 1))
                    loads[name] = load if name not in loads else loads[name].add(load)
    for name, server, scenario, base in plan:
        load = loads[name]
        paths, _headers = scenarios[scenario]
        extra = {}
        if name in TARGETS and TARGETS[name][0] in loads:
            against, at_least = TARGETS[name]
            ratio = load.rate / loads[against].rate if loads[against].rate else None
            extra["target"] = {
                "ratio_to": against,
                "at_least": at_least,
                "ratio": None if ratio is None else round(ratio, 2),
                "met": ratio is not None and ratio >= at_least,
            }
        if name == "http_trivial" and "http_trivial_single_process" in loads:
            extra["vs_single_process_today"] = round(load.rate / loads["http_trivial_single_process"].rate, 2)
        if name == "http_me" and "http_me_single_process_stock_handler" in loads:
            extra["vs_me_single_process_stock_handler"] = round(
                load.rate / loads["http_me_single_process_stock_handler"].rate, 2
            )
        yield line(
            name,
            load,
            base,
            loads.get(base),
            endpoint=paths[0].split("?")[0],
            distinct_requests="every request" if scenario == "nearby_distinct" else len(paths),
            workers=counts[server],
            server={
                "stock": "stock Django ASGI handler",
                "single": "citywatch serve",
                "served": "citywatch serve",
            }[server],
            rounds=rounds,
            rounds_rate=slices[name],
            server_cpu_ms_per_request=round(cpu[name] / load.requests * 1000, 3) if load.requests else None,
            loadavg_1m={"min": round(min(loadavg[name]), 2), "max": round(max(loadavg[name]), 2)},
            cpus=os.cpu_count(),
            **extra,
        )
    errors = sum(load.errors for load in loads.values())
    yield {
        "name": "http_targets",
        "value": errors,
        "unit": "errors",
        "baseline": None,
        "baseline_value": None,
        "ratio": None,
        "params": {
            "zero_errors": errors == 0,
            **{
                name: {
                    "ratio_to": against,
                    "at_least": at_least,
                    "ratio": round(r, 2) if r else None,
                    "met": bool(r and r >= at_least),
                }
                for name, (against, at_least) in TARGETS.items()
                if name in loads and against in loads
                for r in [loads[name].rate / loads[against].rate if loads[against].rate else None]
            },
        },
    }


BENCHMARKS = {"trivial": None, "me": None, "nearby": None, "incidents": None}  # --only choices


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--only", action="append", default=None, choices=sorted(BENCHMARKS))
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citywatch.settings")
    import django

    django.setup()
    for result in run(args.quick, only=args.only, workers=args.workers):
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    sys.exit(main())
