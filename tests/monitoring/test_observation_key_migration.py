"""Migration 0005 rebuilds the observation table with the composite primary key (station, variable, time)
and keeps every stored reading — on PostgreSQL in their partitions — both ways."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("monitoring", "0004_rejects")]
AFTER = [("monitoring", "0005_observation_composite_key")]
ROWS = [
    (7, 1, "2025-11-30 23:55:00", 1.5, 0),
    (7, 1, "2025-12-01 00:00:00", 2.5, 3),
    (8, 2, "2025-12-01 00:00:00", 3.0, 0),
]


def _migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def _stored() -> list:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT station_id, variable_id, time, value, quality FROM monitoring_observation "
            "ORDER BY station_id, time"
        )
        return [
            (s, v, t.strftime("%Y-%m-%d %H:%M:%S") if hasattr(t, "strftime") else t, x, q)
            for s, v, t, x, q in cursor.fetchall()
        ]


def _primary_key() -> list[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "monitoring_observation")
    return next(c["columns"] for c in constraints.values() if c["primary_key"])


def _partitions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'monitoring_observation' ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_the_rebuild_keeps_every_reading_both_ways():
    pg = connection.vendor == "postgresql"
    try:
        _migrate(BEFORE)
        assert _primary_key()[0] == "id"
        with connection.cursor() as cursor:
            if pg:
                for name, lo, hi in (
                    ("p202511", "2025-11-01", "2025-12-01"),
                    ("p202512", "2025-12-01", "2026-01-01"),
                ):
                    cursor.execute(
                        f"CREATE TABLE IF NOT EXISTS monitoring_observation_{name} "
                        "PARTITION OF monitoring_observation "
                        f"FOR VALUES FROM ('{lo} 00:00:00+00') TO ('{hi} 00:00:00+00')"
                    )
            suffix = "+00" if pg else ""
            cursor.executemany(
                "INSERT INTO monitoring_observation (station_id, variable_id, time, value, quality) "
                "VALUES (%s, %s, %s, %s, %s)",
                [(s, v, t + suffix, x, q) for s, v, t, x, q in ROWS],
            )
        partitions = _partitions() if pg else []

        _migrate(AFTER)
        assert sorted(_primary_key()) == ["station_id", "time", "variable_id"]
        assert _stored() == ROWS
        if pg:
            assert _partitions() == partitions  # the same months, the same names
            assert {"monitoring_observation_p202511", "monitoring_observation_p202512"} <= set(partitions)
            with connection.cursor() as cursor:  # the key refuses a second reading of the same key
                cursor.execute(
                    "INSERT INTO monitoring_observation (station_id, variable_id, time, value, quality) "
                    "VALUES (7, 1, '2025-12-01 00:00:00+00', 9, 0) ON CONFLICT DO NOTHING"
                )
                assert cursor.rowcount == 0

        _migrate(BEFORE)
        assert _primary_key()[0] == "id"
        assert _stored() == ROWS
    finally:
        _migrate(AFTER)
    assert _stored() == ROWS
