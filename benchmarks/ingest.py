"""Benchmarks of the monitoring hub's ingestion (``citywatch bench ingest [--quick]``).

Each figure is one JSON line in the house form (``benchmarks/nearby.py``)::

    {"name", "value", "unit", "baseline", "baseline_value", "ratio", "identical", "params"}

* ``ingest_rate`` — readings per second through the real path: ``Batch.from_records`` on JSON-shaped
  records (parsing and validation as arrays), then ``ingest`` — on PostgreSQL ``COPY`` into the staging
  table, the dedupe join and ``INSERT … ON CONFLICT``, the stations' last reading, and every enabled rain rule
  evaluated with the NumPy engine (a 3-hour sum rule on the benchmark's gauges is added) — against per-row
  ORM ``Observation(...).save()`` of the same readings (one transaction, a sample of them). ``identical``:
  the rows the ingestion stored are the rows the per-row saves stored. The timed part ends with the
  deferred constraint checks a commit would run (``SET CONSTRAINTS ALL IMMEDIATE``; the benchmark rolls
  back). ``params`` give the process's CPU seconds, the PostgreSQL backend's (``server_cpu_s``, read from
  ``/proc`` when the server is on this machine), the rate those two alone allow (``cpu_bound_rate``: what
  an idle machine would approach) and the load average when it started.
* ``ingest_rate_2_writers`` (PostgreSQL) — the same readings sent by two feeds at once, each on its own
  connection (as ``citywatch serve`` takes concurrent requests), in batches of at most
  ``CITYWATCH_INGEST_MAX_READINGS``; ``identical``: every reading accepted once and the same alarm
  transitions as ``ingest_rate``'s one batch (``_writers``).
* ``rules_*`` — the rule engine alone over 1,000,000 readings with trailing windows, against per-row
  Python loops giving identical alarms (``benchmarks/rules.py``).
* ``rain_3h_now`` — "3-hour rainfall at every gauge, now" over 30 days of 5-minute data from 200 gauges:
  milliseconds of the query on the observation table (PostgreSQL: monthly partitions, BRIN on time, the
  ``(variable, time)`` index), against the same query on a plain unpartitioned copy with only the
  ``(station, variable, time)`` unique index. ``identical``: the same sums at every gauge.

Everything runs in the configured database inside one transaction that is rolled back at the end, so the
benchmark leaves nothing behind (its stations are labelled ``bench-…``). Without PostgreSQL
(``CITYWATCH_DATABASE_URL``) the first line says so and the SQLite path is measured.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import statistics
import time
from collections.abc import Iterator

import numpy as np

STEP_S = 300
SIZES = {
    "full": {"gauges": 200, "readings_per_gauge": 500, "baseline_rows": 5000, "days": 30, "query_gauges": 200,
             "repeats": 5},
    "quick": {"gauges": 20, "readings_per_gauge": 50, "baseline_rows": 200, "days": 2, "query_gauges": 20,
              "repeats": 2},
}  # fmt: skip


class Rollback(Exception):
    pass


def _line(name, value, unit, baseline, baseline_value, identical=None, **params) -> dict:
    return {
        "name": name,
        "value": round(float(value), 3),
        "unit": unit,
        "baseline": baseline,
        "baseline_value": None if baseline_value is None else round(float(baseline_value), 3),
        "ratio": None if not baseline_value else round(float(value) / float(baseline_value), 2),
        "identical": identical,
        "params": params,
    }


def _network(gauges: int, tag: str):
    """A source and ``gauges`` rain gauges spread over the city (in the current transaction)."""
    from django.contrib.gis.geos import Point

    from citywatch.core.models import AdminArea
    from citywatch.monitoring.models import DataSource, Station

    area = AdminArea.objects.order_by("path").first()
    if area is None:
        area = AdminArea.objects.create(code="350200", name="厦门市", level="city", path="350200.")
    source = DataSource.objects.create(
        code=f"bench-{tag}",
        name=f"基准测试雨量站（{tag}）",
        department="benchmark",
        area=area,
        synthetic=True,
    )
    rng = np.random.default_rng(7)
    stations = Station.objects.bulk_create(
        Station(
            source=source,
            external_id=f"bench-{tag}-{i}",
            name=f"基准测试站 {i}",
            kind="rain_gauge",
            location=Point(118.0 + rng.uniform(0, 0.3), 24.4 + rng.uniform(0, 0.3)),
            area=area,
            synthetic=True,
        )  # fmt: skip
        for i in range(gauges)
    )
    return source, stations


def _rain(gauges: int, per_gauge: int, end: int, seed: int):
    """Five-minute rain at every gauge, ending at ``end`` (epoch s), in arrival order."""
    rng = np.random.default_rng(seed)
    times = end - STEP_S * np.arange(per_gauge)[::-1]
    value = np.round(rng.gamma(0.6, 1.5, (per_gauge, gauges)) * (rng.random((per_gauge, gauges)) < 0.4), 1)
    return np.repeat(times, gauges), np.tile(np.arange(gauges), per_gauge), value.ravel()


def _stored(station_ids) -> list:
    from citywatch.monitoring.models import Observation

    return sorted(
        Observation.objects.filter(station_id__in=station_ids).values_list("station_id", "time", "value")
    )


class _ServerClock:
    """CPU seconds of this connection's PostgreSQL backend (``/proc/<pid>/stat``), when the server runs on
    this machine; ``seconds()`` is None otherwise (SQLite, a remote server)."""

    def __init__(self):
        from django.db import connection

        self.path = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.path = f"/proc/{cursor.fetchone()[0]}/stat"

    def seconds(self) -> float | None:
        try:
            with open(self.path) as stat:  # noqa: PTH123
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, TypeError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _deferred_checks() -> None:
    """Run now the deferred constraint checks the commit would run (the benchmark rolls back)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def bench_ingest(size: dict, seed: int) -> Iterator[dict]:
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from citywatch.monitoring.actions.ingest import Batch, ingest
    from citywatch.monitoring.models import Observation, Rule, Variable

    gauges, per = size["gauges"], size["readings_per_gauge"]
    now = timezone.now().replace(microsecond=0)
    end = int(now.timestamp()) // STEP_S * STEP_S
    t, g, v = _rain(gauges, per, end, seed)
    stamps = {x: dt.datetime.fromtimestamp(x, dt.UTC).isoformat() for x in np.unique(t).tolist()}
    n = len(t)
    limit = settings.CITYWATCH_INGEST_MAX_READINGS
    settings.CITYWATCH_INGEST_MAX_READINGS = max(limit, n)
    try:
        with transaction.atomic():
            source, stations = _network(gauges, "ingest")
            ids = [s.external_id for s in stations]
            rain = Variable.objects.get(code="rain")
            Rule.objects.create(
                name="基准测试：3小时降雨", variable=rain, kind="window", aggregate="sum", window_minutes=180,
                blue=20, yellow=30, orange=50, red=100, margin=5, hold_minutes=60, target="source",
                source=source,
            )  # fmt: skip
            records = [
                {"station": ids[gi], "variable": "rain", "time": stamps[ti], "value": vi}
                for ti, gi, vi in zip(t.tolist(), g.tolist(), v.tolist(), strict=True)
            ]
            gc.collect()
            server = _ServerClock()
            load = os.getloadavg()[0]
            t0, c0, s0 = time.perf_counter(), time.process_time(), server.seconds()
            result = ingest(Batch.from_records(records), source=source, now=now)
            _deferred_checks()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            server_cpu = None if s0 is None else server.seconds() - s0
            again0 = time.perf_counter()
            second = ingest(Batch.from_records(records), source=source, now=now)
            again = time.perf_counter() - again0
            ours = _stored([s.pk for s in stations])

            # the baseline: per-row ORM saves of a sample of the same readings, at fresh stations
            _src2, stations2 = _network(gauges, "orm")
            sample = size["baseline_rows"]
            gc.collect()
            b0 = time.perf_counter()
            for ti, gi, vi in zip(t[:sample].tolist(), g[:sample].tolist(), v[:sample].tolist(), strict=True):
                Observation(
                    station=stations2[gi], variable=rain, time=dt.datetime.fromtimestamp(ti, dt.UTC), value=vi
                ).save(force_insert=True)  # one INSERT (a set composite key would try an UPDATE first)
            base = time.perf_counter() - b0
            theirs = _stored([s.pk for s in stations2])
            by_index = {s.pk: i for i, s in enumerate(stations)}
            by_index2 = {s.pk: i for i, s in enumerate(stations2)}
            mine = sorted((by_index[s], tm, val) for s, tm, val in ours)
            orm = sorted((by_index2[s], tm, val) for s, tm, val in theirs)
            identical = result.accepted == n and second.duplicates == n and set(orm) <= set(mine)
            raise Rollback
    except Rollback:
        pass
    finally:
        settings.CITYWATCH_INGEST_MAX_READINGS = limit
    yield _line(
        "ingest_rate",
        n / wall,
        "readings/s",
        "per-row ORM Observation.save() of the same readings (a sample), one transaction",
        sample / base,
        identical,
        database=connection.vendor,
        readings=n,
        gauges=gauges,
        readings_per_gauge=per,
        ingest_s=round(wall, 3),
        ingest_cpu_s=round(cpu, 3),
        server_cpu_s=None if server_cpu is None else round(server_cpu, 3),
        cpu_bound_rate=None if server_cpu is None else round(n / (cpu + server_cpu)),
        load_average=round(load, 2),
        alarm_transitions=result.alarm_transitions,
        resend_s=round(again, 3),
        resend_duplicates=second.duplicates,
        baseline_rows=sample,
        baseline_s=round(base, 3),
    )
    from citywatch.core.models import AdminArea

    if connection.vendor != "postgresql" or connection.in_atomic_block or not AdminArea.objects.exists():
        # SQLite has one writer at a time; inside a caller's transaction the writers would not see its
        # rows; without an area both writers would create the same one
        return
    gc.collect()
    both = _writers(size, seed)
    yield _line(
        "ingest_rate_2_writers",
        both["rate"],
        "readings/s",
        "per-row ORM Observation.save() of the same readings (a sample), one transaction",
        sample / base,
        both["accepted"] == n and both["transitions"] == result.alarm_transitions,
        **both["line"],
        alarm_transitions=both["transitions"],
    )


def _writers(size: dict, seed: int, writers: int = 2) -> dict:
    """``ingest_rate_2_writers`` (PostgreSQL): the same readings as ``ingest_rate`` sent by ``writers``
    feeds at once, as the served API takes them (``citywatch serve``: a process per core, each request on
    a thread with its own database connection). Each writer is a thread with its own connection, its own
    source and rule and its share of the gauges, sending its readings in batches of at most
    ``CITYWATCH_INGEST_MAX_READINGS`` (the API's limit); each writer's work runs inside one transaction
    rolled back at the end. Threads of one process share the interpreter lock, so separate server
    processes would overlap at least as well. ``identical`` (checked by the caller): every reading
    accepted once, and the alarm transitions those of one writer sending everything in one batch."""
    import threading

    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from citywatch.monitoring.actions import partitions
    from citywatch.monitoring.actions.ingest import Batch, ingest
    from citywatch.monitoring.models import Rule, Variable

    gauges, per = size["gauges"], size["readings_per_gauge"]
    now = timezone.now().replace(microsecond=0)
    end = int(now.timestamp()) // STEP_S * STEP_S
    t, g, v = _rain(gauges, per, end, seed)
    stamps = {x: dt.datetime.fromtimestamp(x, dt.UTC).isoformat() for x in np.unique(t).tolist()}
    n = len(t)
    batch_size = settings.CITYWATCH_INGEST_MAX_READINGS
    if connection.vendor == "postgresql":
        partitions.create_ahead(now, 0)  # the worker's job: a missing month would serialise the writers
        partitions.ensure_for(int(t.min()), int(t.max()))
    share = np.array_split(np.arange(gauges), writers)
    ready = threading.Barrier(writers + 1)
    done = threading.Barrier(writers + 1)
    results: list[dict] = [{} for _ in range(writers)]
    errors: list = []

    def writer(k: int) -> None:
        out = results[k]
        try:
            with transaction.atomic():
                source, stations = _network(len(share[k]), f"writer{k}")
                ids = [s.external_id for s in stations]
                Rule.objects.create(
                    name=f"基准测试：3小时降雨（{k}）", variable=Variable.objects.get(code="rain"),
                    kind="window", aggregate="sum", window_minutes=180, blue=20, yellow=30, orange=50,
                    red=100, margin=5, hold_minutes=60, target="source", source=source,
                )  # fmt: skip
                mine = np.isin(g, share[k])
                local = {int(x): i for i, x in enumerate(share[k])}
                records = [
                    {"station": ids[local[gi]], "variable": "rain", "time": stamps[ti], "value": vi}
                    for ti, gi, vi in zip(t[mine].tolist(), g[mine].tolist(), v[mine].tolist(), strict=True)
                ]
                clock = _ServerClock()
                gc.collect()
                ready.wait(120)
                s0 = clock.seconds()
                accepted = transitions = 0
                for start in range(0, len(records), batch_size):
                    result = ingest(
                        Batch.from_records(records[start : start + batch_size]), source=source, now=now
                    )
                    accepted += result.accepted
                    transitions += result.alarm_transitions
                _deferred_checks()
                out.update(
                    accepted=accepted,
                    transitions=transitions,
                    server_s=None if s0 is None else clock.seconds() - s0,
                )
                done.wait(600)
                raise Rollback
        except Rollback:
            pass
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
            ready.abort()
            done.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(writers)]
    for thread in threads:
        thread.start()
    try:
        ready.wait(600)
        load = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), time.process_time()
        done.wait(600)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    except threading.BrokenBarrierError:
        wall = cpu = load = None
    for thread in threads:
        thread.join(600)
    if errors or wall is None:
        raise RuntimeError(f"a writer failed: {errors!r}")
    server = [r["server_s"] for r in results]
    server_cpu = None if None in server else sum(server)
    return {
        "accepted": sum(r["accepted"] for r in results),
        "transitions": sum(r["transitions"] for r in results),
        "line": dict(
            database=connection.vendor,
            readings=n,
            writers=writers,
            batch_size=batch_size,
            ingest_s=round(wall, 3),
            ingest_cpu_s=round(cpu, 3),
            server_cpu_s=None if server_cpu is None else round(server_cpu, 3),
            cpu_bound_rate=None if server_cpu is None else round(n / (cpu + server_cpu)),
            load_average=round(load, 2),
        ),
        "rate": n / wall,
    }


def bench_rules(size: dict, seed: int) -> Iterator[dict]:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent / "rules.py"
    spec = importlib.util.spec_from_file_location("citywatch_benchmarks_rules", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield from module.run(quick=size is SIZES["quick"], seed=seed, only=["batch"])


RAIN_3H = (
    "SELECT station_id, SUM(value) FROM {table} WHERE variable_id = %s AND time > %s AND time <= %s "
    "GROUP BY station_id ORDER BY station_id"
)


def bench_rain_now(size: dict, seed: int) -> Iterator[dict]:
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from citywatch.monitoring.actions.ingest import Batch, db_times, ingest
    from citywatch.monitoring.models import Variable

    gauges, days = size["query_gauges"], size["days"]
    per = days * 86400 // STEP_S
    now = timezone.now().replace(microsecond=0)
    end = int(now.timestamp()) // STEP_S * STEP_S
    t, g, v = _rain(gauges, per, end, seed + 1)
    pg = connection.vendor == "postgresql"
    limit = settings.CITYWATCH_INGEST_MAX_READINGS
    chunk = 200_000
    settings.CITYWATCH_INGEST_MAX_READINGS = max(limit, chunk)
    try:
        with transaction.atomic():
            source, stations = _network(gauges, "rain3h")
            ids = np.array([s.external_id for s in stations], dtype=object)
            rain = Variable.objects.get(code="rain").pk
            load0 = time.perf_counter()
            for start in range(0, len(t), chunk):
                sl = slice(start, start + chunk)
                ingest(
                    Batch.from_columns(ids[g[sl]].tolist(), "rain", t[sl], v[sl]),
                    source=source,
                    evaluate=False,
                )
            load_s = time.perf_counter() - load0
            pks = [s.pk for s in stations]
            with connection.cursor() as cursor:
                flat = "bench_observation_flat"
                cursor.execute(f"DROP TABLE IF EXISTS {flat}")
                cursor.execute(
                    f"CREATE TEMP TABLE {flat} AS SELECT * FROM monitoring_observation "  # noqa: S608
                    f"WHERE station_id IN ({','.join(map(str, pks))})"
                )
                cursor.execute(f"CREATE UNIQUE INDEX {flat}_key ON {flat} (station_id, variable_id, time)")
                cursor.execute(f"ANALYZE {flat}" if pg else "ANALYZE")
                if pg:
                    cursor.execute("ANALYZE monitoring_observation")
                lo, hi = db_times(np.array([end - 3 * 3600, end]))
                params = [rain, lo, hi]

                def run(table):
                    cursor.execute(RAIN_3H.format(table=table), params)
                    return cursor.fetchall()

                def timed(table):
                    run(table)  # warm
                    runs = []
                    for _ in range(size["repeats"]):
                        t0 = time.perf_counter()
                        rows = run(table)
                        runs.append(time.perf_counter() - t0)
                    return rows, statistics.median(runs) * 1000

                ours, ours_ms = timed("monitoring_observation")
                naive, naive_ms = timed(flat)
                plan = ""
                if pg:
                    cursor.execute("EXPLAIN " + RAIN_3H.format(table="monitoring_observation"), params)
                    plan = " / ".join(r[0].strip() for r in cursor.fetchall()[:6])
            identical = len(ours) == gauges and [(s, round(x, 6)) for s, x in ours] == [
                (s, round(x, 6)) for s, x in naive
            ]
            raise Rollback
    except Rollback:
        pass
    finally:
        settings.CITYWATCH_INGEST_MAX_READINGS = limit
    yield _line(
        "rain_3h_now",
        ours_ms,
        "ms",
        "the same query on an unpartitioned copy with only the (station, variable, time) unique index",
        naive_ms,
        identical,
        database=connection.vendor,
        gauges=gauges,
        days=days,
        readings=len(t),
        load_s=round(load_s, 2),
        speedup=round(naive_ms / ours_ms, 1) if ours_ms else None,
        plan=plan,
        note="ratio is ours ÷ baseline in ms: lower is better (speedup = baseline ÷ ours)",
    )


BENCHMARKS = {"ingest": bench_ingest, "rules": bench_rules, "rain_3h_now": bench_rain_now}


def run(quick: bool = False, seed: int = 20240501, only: list[str] | None = None) -> Iterator[dict]:
    from django.db import connection

    size = SIZES["quick" if quick else "full"]
    if connection.vendor != "postgresql":
        yield {
            "name": "database",
            "value": 0,
            "unit": "",
            "baseline": None,
            "baseline_value": None,
            "ratio": None,
            "identical": None,
            "params": {
                "note": "PostgreSQL is not configured (CITYWATCH_DATABASE_URL): the SQLite path is measured; "
                "the figures of the issue are PostgreSQL's"
            },
        }
    for name, bench in BENCHMARKS.items():
        if only and name not in only:
            continue
        yield from bench(size, seed)
        gc.collect()
