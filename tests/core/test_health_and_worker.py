"""/healthz and the background worker's heartbeat."""

import contextlib
import os
import sqlite3
import subprocess
import sys
import time

import pytest
from django.utils import timezone

from citywatch.core.models import WorkerHeartbeat
from citywatch.core.tasks import heartbeat
from tests.support.servers import migrated_spatialite

pytestmark = pytest.mark.django_db


def test_healthz_is_503_without_a_worker(anon):
    WorkerHeartbeat.objects.all().delete()
    response = anon.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"]["ok"] and body["checks"]["migrations"]["ok"]
    assert body["checks"]["worker"]["ok"] is False


def test_healthz_is_200_after_a_heartbeat(anon):
    heartbeat.call_local()
    body = anon.get("/healthz").json()
    assert body["status"] == "ok" and body["checks"]["worker"]["ok"]


def test_stale_heartbeat_is_unhealthy(anon, settings):
    heartbeat.call_local()
    WorkerHeartbeat.objects.update(
        beat_at=timezone.now() - timezone.timedelta(seconds=settings.CITYWATCH_HEARTBEAT_MAX_AGE + 5)
    )
    assert anon.get("/healthz").status_code == 503


def test_heartbeat_is_a_periodic_task():
    from huey.contrib.djhuey import HUEY

    assert any(task.__name__.endswith("heartbeat") for task in HUEY._registry._periodic_tasks)


@pytest.mark.skipif(
    os.environ.get("CITYWATCH_DATABASE_URL", "").startswith("postgis"),
    reason="runs against its own SpatiaLite file; the PostGIS run covers the same code path above",
)
def test_real_worker_process_writes_its_heartbeat(tmp_path):
    """`citywatch worker` starts a real Huey consumer whose start-up heartbeat lands in the database; its
    console (at DEBUG, so Huey's routine lines show) writes each line once, in CityWatch's shape."""
    database = tmp_path / "citywatch.sqlite3"
    migrated_spatialite(database)
    env = {
        **os.environ,
        "CITYWATCH_DATA_DIR": str(tmp_path),
        "CITYWATCH_DATABASE_URL": f"spatialite:///{database}",
    }
    cli = [sys.executable, "-m", "citywatch.cli"]
    console = tmp_path / "worker.log"
    with open(console, "wb") as out:
        debug = {**env, "CITYWATCH_LOG_LEVEL": "DEBUG"}
        worker = subprocess.Popen([*cli, "worker"], env=debug, stdout=out, stderr=subprocess.STDOUT)
    try:
        table = WorkerHeartbeat._meta.db_table

        def beats() -> int:
            # Read the worker's database file directly (a plain table): no Django start-up per probe.
            with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as db:
                return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (a model's table)

        for _ in range(240):
            if beats() >= 1:
                break
            time.sleep(0.25)
        else:
            pytest.fail("the worker wrote no heartbeat")
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    lines = console.read_text().splitlines()
    executed = [line for line in lines if "Executing citywatch.core.tasks.heartbeat" in line]
    assert len(executed) >= 1, lines
    # Huey's own handler ("[time] INFO:huey…") never joined ours: each record once.
    assert not [line for line in lines if ":huey" in line], lines
    assert len(set(executed)) == len(executed), executed
    assert sum("后台任务进程已启动：2 个线程" in line for line in lines) == 1, lines
