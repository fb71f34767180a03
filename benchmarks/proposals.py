"""Benchmark of the proposals each ingested batch recomputes (``citywatch bench proposals [--quick]``).

Each figure is one JSON line in the house form (``benchmarks/nearby.py``)::

    {"name", "value", "unit", "baseline", "baseline_value", "ratio", "identical", "params"}

* ``proposals_after_batch_storm`` — one city-wide batch of rain (one reading from every rain gauge of the
  demo city, 200) through ``ingest_records`` during a storm: 13 hours of 5-minute rain at every gauge
  (``storm_readings`` in ``params``; every district's rainstorm proposal red), with warnings'
  ``after_batch`` hook summing the windows in the database (``incremental=True``, the default), against
  the same hook reading every reading of the window (``incremental=False``, as before). ``params`` also
  give the batch without any hook (``no_hook_ms``: the ingestion and the alarm rules alone), the hook's own
  cost either way, and the load average. Medians of ``batches`` rounds, each round the three arms in a
  rotating order, every batch at a new time. ``identical``: from the state the rounds leave, a full
  recomputation and the summed one store the same proposals (levels, values, triggering readings,
  newest reading, status, history).

Needs the demo city (``citywatch demo --load-only``): its 200 rain gauges and six districts. Everything
runs in one transaction that is rolled back at the end (SQLite or the configured PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from collections.abc import Iterator

STEP_S = 300
SIZES = {"full": {"hours": 13, "batches": 6}, "quick": {"hours": 4, "batches": 2}}
BENCHMARKS = ("proposals_after_batch_storm",)


class Rollback(Exception):
    pass


def _snapshot():
    from citywatch.warnings.models import Proposal

    def levels(proposal):
        return [h["level"] for h in proposal.history]

    return sorted(
        (
            p.hazard_id,
            p.area_id,
            p.level,
            p.status,
            p.value,
            p.triggers,
            p.observed_at,
            [h["level"] for h in p.history],
        )
        for p in Proposal.objects.all()
    )


def run(quick: bool = False, seed: int | None = None, only: list[str] | None = None) -> Iterator[dict]:
    import numpy as np
    from django.db import connection, transaction
    from django.utils import timezone

    from citywatch.monitoring.actions import ingest as ingestion
    from citywatch.monitoring.models import Station
    from citywatch.warnings.actions import proposals

    size = SIZES["quick" if quick else "full"]
    load = [round(x, 2) for x in os.getloadavg()]
    gauges = list(Station.objects.filter(kind="rain_gauge").select_related("source").order_by("id"))
    if not gauges:
        raise SystemExit("no rain gauges: load the demo city first (citywatch demo --load-only)")
    rng = np.random.default_rng(seed or 20240501)
    # off the demo history's whole minutes, so that no reading repeats a stored one
    now = timezone.now().replace(microsecond=0) + dt.timedelta(seconds=17)

    def batch(at, mm):
        return [
            {
                "station": g.external_id,
                "source": g.source.code,
                "variable": "rain",
                "time": at.isoformat(),
                "value": round(float(mm * rng.uniform(0.5, 1.5)), 1),
            }
            for g in gauges
        ]

    hooks = list(ingestion.AFTER_BATCH)
    result: dict = {}
    try:
        with transaction.atomic():
            ingestion.AFTER_BATCH[:] = []
            steps = size["hours"] * 3600 // STEP_S
            first = now - dt.timedelta(seconds=STEP_S * steps)
            for k in range(steps):  # the storm so far, rising: no hook, no rules (quick to build)
                at = first + dt.timedelta(seconds=STEP_S * k)
                ingestion.ingest_records(batch(at, 1.5 + 3.0 * k / steps), now=at, evaluate=False)
            proposals.compute_proposals(now=now)
            arms = {
                "summed": [lambda *a: proposals.after_batch(*a)],
                "full": [lambda *a: proposals.after_batch(*a, incremental=False)],
                "no_hook": [],
            }
            times = {name: [] for name in arms}
            order = list(arms)
            at = now
            for round_ in range(size["batches"]):
                for name in order[round_ % 3 :] + order[: round_ % 3]:
                    at += dt.timedelta(seconds=STEP_S)
                    ingestion.AFTER_BATCH[:] = arms[name]
                    records = batch(at, 4.5)
                    started = time.perf_counter()
                    ingestion.ingest_records(records, now=at)
                    times[name].append(time.perf_counter() - started)
            ingestion.AFTER_BATCH[:] = []
            with transaction.atomic():
                proposals.compute_proposals(now=at, incremental=False)
                full = _snapshot()
                transaction.set_rollback(True)
            proposals.compute_proposals(now=at)
            result = {
                "medians": {name: statistics.median(values) * 1000 for name, values in times.items()},
                "identical": _snapshot() == full,
                "storm_readings": steps * len(gauges),
                "proposals": len(full),
            }
            raise Rollback
    except Rollback:
        pass
    finally:
        ingestion.AFTER_BATCH[:] = hooks
    medians = result["medians"]
    summed, full_ms, bare = medians["summed"], medians["full"], medians["no_hook"]
    yield {
        "name": "proposals_after_batch_storm",
        "value": round(summed, 1),
        "unit": "ms per batch",
        "baseline": "the hook reading every reading of the window (incremental=False)",
        "baseline_value": round(full_ms, 1),
        "ratio": round(summed / full_ms, 2) if full_ms else None,
        "identical": result["identical"],
        "params": {
            "database": connection.vendor,
            "gauges": len(gauges),
            "storm_readings": result["storm_readings"],
            "batches": size["batches"],
            "no_hook_ms": round(bare, 1),
            "hook_ms_summed": round(summed - bare, 1),
            "hook_ms_full": round(full_ms - bare, 1),
            "loadavg_start": load,
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        },
    }
