"""Two batches at once on PostgreSQL, each with its own connection (an HTTP feed and the MQTT subscriber
sending readings of the same gauges): both are stored, and each gauge gets one alarm, not two."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection

ON_POSTGIS = os.environ.get("CITYWATCH_DATABASE_URL", "").startswith("postgis")


@pytest.mark.skipif(not ON_POSTGIS, reason="needs concurrent connections and row locks (PostGIS)")
@pytest.mark.django_db(transaction=True)
def test_two_batches_at_once_open_one_alarm_per_gauge():
    # A transactional test may run after another one's flush, which empties the catalogue its migration
    # seeded: seed it again (update_or_create, so it changes nothing when the rows are there).
    from importlib import import_module

    from django.apps import apps

    from citywatch.demo.loader import load_demo
    from citywatch.monitoring.actions.ingest import Batch, ingest
    from citywatch.monitoring.models import Alarm, Observation
    from tests.monitoring.conftest import T0, at, iso
    from tests.support.monitoring import rain_rule, source_in, station_in

    import_module("citywatch.monitoring.migrations.0002_variables").seed(apps, None)

    load_demo(with_resources=False, with_geo=False)  # transactional tests start from an empty database
    source = source_in()
    stations = [station_in(source=source, external_id=f"t-c-{i}") for i in range(5)]
    rule = rain_rule()
    start = threading.Barrier(2)
    errors = []

    def send(offset):
        try:
            rows = [
                {"station": s.external_id, "variable": "rain", "time": iso(at(5 * k + offset)), "value": 10.0}
                for s in stations
                for k in range(6)
            ]
            start.wait(10)
            ingest(Batch.from_records(rows), now=T0.replace(day=3))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(offset,)) for offset in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert Observation.objects.filter(station__in=stations).count() == 5 * 12
    mine = Alarm.objects.filter(rule=rule, station__in=stations)
    assert sorted(mine.values_list("station__external_id", flat=True)) == [s.external_id for s in stations]
    # the demo's own rain rules watch these gauges too: still one alarm per rule × gauge
    pairs = list(Alarm.objects.filter(station__in=stations).values_list("rule_id", "station_id"))
    assert len(pairs) == len(set(pairs))
