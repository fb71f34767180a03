"""``citywatch bench public``: the public warning page under concurrent load, on loopback.

The production server (``citywatch serve``, ``benchmarks/http_load.py``'s harness) with the configured
instance is driven, bounded in requests and seconds, with:

* ``trivial``: ``GET /livez`` of the same server (the whole middleware stack, no database) — the baseline;
* ``public_json``: ``GET /public/warnings.json?area=<district>`` over the city's districts;
* ``public_html``: ``GET /public/?area=<district>`` (the page a phone loads);
* ``public_location``: ``GET /public/warnings.json?lon=…&lat=…`` at points of the city (the warnings there
  and the nearest open shelters by the engine's travel time).

Each line reports requests/s, p50/p99 and errors beside the trivial endpoint (``ratio``). The issue's bar:
the page's JSON and HTML at least 50 % of the trivial endpoint's rate, and no error. No cache in front:
every request is served by Django (a CDN or proxy honouring ``Cache-Control: public, max-age`` would serve
the crowd from one copy). For the run, one real-looking orange rainstorm warning per district is written
directly (no outbox message, so nothing is sent anywhere) and removed afterwards, unless warnings are in
force already.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_load import SIZES, drive, line, production_server  # noqa: E402

BENCHMARKS = {"trivial": None, "public_json": None, "public_html": None, "public_location": None}


@contextlib.contextmanager
def warnings_in_force() -> Iterator[int]:
    """Warnings in force for the run: those there are, or one per district written for it (removed)."""
    import datetime

    from django.utils import timezone

    from citywatch.core.models import AdminArea
    from citywatch.warnings import actions, queries
    from citywatch.warnings.hazards import ensure_seeded
    from citywatch.warnings.models import HazardType, Warning

    existing = queries.public_in_force().count()
    if existing:
        yield existing
        return
    ensure_seeded()
    hazard = HazardType.objects.get(code="rainstorm")
    now = timezone.now()
    made = []
    for district in AdminArea.objects.filter(level="district"):
        instructions, instructions_en = actions.default_guidance(hazard, "orange")
        warning = Warning.objects.create(
            hazard=hazard,
            level="orange",
            status="issued",
            area=district,
            geometry=district.boundary,
            onset=now,
            expires=now + datetime.timedelta(hours=2),
            issued_at=now,
            headline=f"{district.name}暴雨橙色预警（基准测试）",
            instructions=instructions,
            instructions_en=instructions_en,
            issuer="CityWatch bench",
        )
        warning.areas.set([district])
        made.append(warning.pk)
    try:
        yield len(made)
    finally:
        Warning.objects.filter(pk__in=made).delete()


def points(n: int = 40, seed: int = 11) -> list[tuple[float, float]]:
    import random

    from citywatch.core.models import AdminArea

    rng = random.Random(seed)
    located = AdminArea.objects.filter(point__isnull=False).values_list("point", flat=True)[:500]
    found = [(p.x, p.y) for p in located]
    if not found:
        return [(118.089, 24.479)]
    return [(round(x, 3), round(y, 3)) for x, y in rng.sample(found, min(n, len(found)))]


def run(
    quick: bool = False, seed: int | None = None, only: list[str] | None = None, workers: int | None = None
) -> Iterator[dict]:
    from citywatch.core.models import AdminArea

    size = SIZES["quick" if quick else "full"]
    workers = workers or len(os.sched_getaffinity(0))
    machine = {"cpus": os.cpu_count(), "workers": workers, "loadavg_1m": round(os.getloadavg()[0], 2)}
    codes = list(AdminArea.objects.filter(level="district").values_list("code", flat=True)) or ["350200"]
    scenarios = {
        "trivial": ["/livez"],
        "public_json": [f"/public/warnings.json?area={c}" for c in codes],
        "public_html": [f"/public/?area={c}" for c in codes],
        "public_location": [f"/public/warnings.json?lon={x}&lat={y}" for x, y in points()],
    }
    wanted = [name for name in scenarios if not only or name in only or name == "trivial"]
    with warnings_in_force() as count, production_server(workers) as server:
        loads = {
            name: drive(
                server.port,
                scenarios[name],
                count=size["count"],
                seconds=size["seconds"],
                concurrency=size["concurrency"],
                warmup=size["warmup"],
            )
            for name in wanted
        }
    trivial = loads["trivial"]
    yield line("public_trivial", trivial, None, None, endpoint="/livez", workers=workers, machine=machine)
    for name in wanted:
        if name == "trivial":
            continue
        yield line(
            name,
            loads[name],
            "public_trivial",
            trivial,
            endpoint=scenarios[name][0].split("?")[0],
            distinct_requests=len(scenarios[name]),
            warnings_in_force=count,
            workers=workers,
            machine=machine,
        )
