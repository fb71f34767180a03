"""Two batches at once, each with its own connection (an HTTP feed and the MQTT subscriber sending readings
of the same gauges, or two requests of ``citywatch serve`` — how ``citywatch bench ingest`` measures
``ingest_rate_2_writers``): both are stored, the same reading sent by both is stored once, and each gauge
gets one alarm, not two. PostgreSQL runs the two at once (row locks, the rules' advisory locks); SQLite
has one writer at a time (the second waits for the first's commit: ``transaction_mode`` IMMEDIATE and the
busy timeout), with the same outcome."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)
# In-process threads need a database with a busy timeout: the SQLite test database is in memory (shared
# cache: a second writer fails at once), so on SQLite the served API is raced instead (the last test).
threads_race = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's test database is in memory: see the served test"
)


def _setup(prefix: str):
    # A transactional test may run after another one's flush, which empties the catalogue its migration
    # seeded: seed it again (update_or_create, so it changes nothing when the rows are there).
    from importlib import import_module

    from django.apps import apps

    from citywatch.demo.loader import load_demo
    from tests.support.monitoring import rain_rule, source_in, station_in

    import_module("citywatch.monitoring.migrations.0002_variables").seed(apps, None)
    load_demo(with_resources=False, with_geo=False)  # transactional tests start from an empty database
    source = source_in()
    stations = [station_in(source=source, external_id=f"{prefix}-{i}") for i in range(5)]
    return stations, rain_rule()


def _at_once(batches: list[list[dict]]) -> tuple[list, list]:
    """Ingest each batch on its own thread (its own connection), released together."""
    from citywatch.monitoring.actions.ingest import Batch, ingest
    from tests.monitoring.conftest import T0

    start = threading.Barrier(len(batches))
    errors, results = [], []

    def send(rows):
        try:
            start.wait(10)
            results.append(ingest(Batch.from_records(rows), now=T0.replace(day=3)))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(rows,)) for rows in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results, errors


def _one_alarm_per_gauge(stations, rule) -> None:
    from citywatch.monitoring.models import Alarm

    mine = Alarm.objects.filter(rule=rule, station__in=stations)
    assert sorted(mine.values_list("station__external_id", flat=True)) == [s.external_id for s in stations]
    # the demo's own rain rules watch these gauges too: still one alarm per rule × gauge
    pairs = list(Alarm.objects.filter(station__in=stations).values_list("rule_id", "station_id"))
    assert len(pairs) == len(set(pairs))


def _rows(stations, offset: int) -> list[dict]:
    from tests.monitoring.conftest import at, iso

    return [
        {"station": s.external_id, "variable": "rain", "time": iso(at(5 * k + offset)), "value": 10.0}
        for s in stations
        for k in range(6)
    ]


@threads_race
def test_two_batches_at_once_open_one_alarm_per_gauge():
    from citywatch.monitoring.models import Observation

    stations, rule = _setup("t-c")
    results, errors = _at_once([_rows(stations, 0), _rows(stations, 1)])
    assert not errors, errors
    assert sum(r.accepted for r in results) == 5 * 12
    assert Observation.objects.filter(station__in=stations).count() == 5 * 12
    _one_alarm_per_gauge(stations, rule)


@threads_race
def test_the_same_batch_sent_twice_at_once_is_stored_once_with_one_alarm_per_gauge():
    from citywatch.monitoring.models import Alarm, AlarmEvent, Observation

    stations, rule = _setup("t-d")
    rows = _rows(stations, 0)
    results, errors = _at_once([rows, rows])
    assert not errors, errors
    assert sorted((r.accepted, r.duplicates, len(r.rejected)) for r in results) == [(0, 30, 0), (30, 0, 0)]
    stored = Observation.objects.filter(station__in=stations)
    assert stored.count() == 5 * 6 and set(stored.values_list("value", flat=True)) == {10.0}
    _one_alarm_per_gauge(stations, rule)
    # each alarm opened once: its history has one "opened" step (the second batch evaluated nothing new)
    opened = AlarmEvent.objects.filter(alarm__rule=rule, alarm__station__in=stations, kind="opened")
    assert opened.count() == Alarm.objects.filter(rule=rule, station__in=stations).count() == 5


SETUP = """
import django

django.setup()
from tests.support.monitoring import rain_rule, source_in, station_in

source = source_in("350203")
for i in range(5):
    station_in("350203", source=source, external_id=f"t-s-{i}")
rain_rule()
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's one writer, served from a database file")
def test_the_served_api_takes_the_same_batch_twice_at_once_on_sqlite(tmp_path):
    """The real service: ``POST /api/v1/observations`` twice at once to uvicorn on a SpatiaLite file (the
    in-memory test database has no busy timeout): the second request waits for the first's commit, the
    readings are stored once and each gauge has one alarm."""
    import json
    import os
    import sqlite3
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    from tests.monitoring.conftest import at, iso
    from tests.support.personas import DEMO_PASSWORD
    from tests.support.servers import SRC, seeded_spatialite, uvicorn_server

    database = seeded_spatialite(tmp_path / "served", DEMO_PASSWORD)
    env = {
        **os.environ,
        **database["env"],
        "PYTHONPATH": f"{SRC}{os.pathsep}{Path(SRC).parent}",
        "DJANGO_SETTINGS_MODULE": "citywatch.settings",
    }
    subprocess.run([sys.executable, "-c", SETUP], env=env, check=True, timeout=120)
    rows = [
        {"station": f"t-s-{i}", "variable": "rain", "time": iso(at(5 * k)), "value": 10.0}
        for i in range(5)
        for k in range(6)
    ]
    body = json.dumps(rows).encode()
    headers = {"Authorization": f"Bearer {database['token']}", "Content-Type": "application/json"}
    with uvicorn_server(tmp_path, database["env"]) as server:
        start = threading.Barrier(2)
        answers, errors = [], []

        def post():
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{server.port}/api/v1/observations", data=body, headers=headers
                )
                start.wait(10)
                with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                    answers.append((response.status, json.loads(response.read())))
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=post) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
    assert not errors, errors
    assert sorted((status, a["accepted"], a["duplicates"], len(a["rejected"])) for status, a in answers) == [
        (200, 0, 30, 0),
        (200, 30, 0, 0),
    ]
    with sqlite3.connect(database["path"]) as db:
        assert db.execute(
            "SELECT count(*), count(DISTINCT o.station_id) FROM monitoring_observation o "
            "JOIN monitoring_station s ON s.id = o.station_id WHERE s.external_id LIKE 't-s-%'"
        ).fetchone() == (30, 5)
        alarms = db.execute(
            "SELECT a.rule_id, a.station_id FROM monitoring_alarm a "
            "JOIN monitoring_station s ON s.id = a.station_id WHERE s.external_id LIKE 't-s-%'"
        ).fetchall()
        assert len(alarms) == len(set(alarms)) == 5  # one per gauge (one rule watches them)
        assert (
            db.execute(
                "SELECT count(*) FROM monitoring_alarmevent e JOIN monitoring_alarm a ON a.id = e.alarm_id "
                "JOIN monitoring_station s ON s.id = a.station_id WHERE s.external_id LIKE 't-s-%' "
                "AND e.kind = 'opened'"
            ).fetchone()[0]
            == 5
        )
