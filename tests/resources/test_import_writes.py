"""An import checks every row outside any transaction, then writes them all in one short transaction, in
bulk: records, change log and shelter occupancy history take one statement per batch of rows (500, or
as many as SQLite's 999 parameters allow), not several per row, so on SQLite (one write lock for the
whole database) other writers wait moments, not the length of the file. All or nothing still holds,
and every record still gets its change-log row.
"""

import contextlib
import sqlite3

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from citywatch.core.models import ObjectChange
from citywatch.resources.importers import import_file
from citywatch.resources.models import Shelter, ShelterOccupancy
from tests.support.files import SHELTER_HEADER, shelter_rows, write_csv
from tests.support.personas import DEMO_PASSWORD
from tests.support.servers import seeded_spatialite

pytestmark = pytest.mark.django_db


def test_import_writes_in_bulk_and_logs_every_record(tmp_path, django_assert_max_num_queries):
    rows = shelter_rows(2000, "BULK")
    path = write_csv(tmp_path / "bulk.csv", SHELTER_HEADER, rows)
    changes, history = ObjectChange.objects.count(), ShelterOccupancy.objects.count()
    # Per row, the old writes ran an INSERT, a savepoint and its release, and the change-log INSERT:
    # over 8,000 statements for 2,000 rows. In bulk: one per batch (batches of ~60 rows on SQLite).
    with django_assert_max_num_queries(150):
        report = import_file("shelters", path, user=None)
    assert (report.created, report.updated, report.unchanged) == (2000, 0, 0)
    created = Shelter.objects.filter(external_id__startswith="BULK-")
    assert created.count() == 2000
    assert ObjectChange.objects.count() == changes + 2000
    assert ShelterOccupancy.objects.count() == history + 2000
    one = created.get(external_id="BULK-0042")
    log = ObjectChange.objects.get(object_id=str(one.pk), content_type__model="shelter")
    assert log.action == "create" and log.before is None and log.after["capacity"] == 142
    assert log.source == "system" and log.area_path == one.area.path

    # 500 rows changed, 1,500 as they are: 500 updates, each logged with its before and after.
    for row in rows[:500]:
        row[6] += 1000
    write_csv(path, SHELTER_HEADER, rows)
    stamp = one.updated_at
    with django_assert_max_num_queries(150):
        report = import_file("shelters", path, user=None)
    assert (report.created, report.updated, report.unchanged) == (0, 500, 1500)
    assert ObjectChange.objects.count() == changes + 2500
    one.refresh_from_db()
    assert one.capacity == 1142 and one.updated_at > stamp
    log = ObjectChange.objects.filter(object_id=str(one.pk), content_type__model="shelter").latest("pk")
    assert log.action == "update" and (log.before["capacity"], log.after["capacity"]) == (142, 1142)
    assert ShelterOccupancy.objects.count() == history + 2000  # capacity is not occupancy


def test_bulk_write_refuses_what_changed_since_the_check_and_writes_nothing():
    from citywatch.core.models import AdminArea
    from citywatch.resources import actions
    from citywatch.resources.kinds import get_kind

    kind = get_kind("shelters")
    area = AdminArea.objects.get(code="350203")

    def shelter(key):
        return {"external_id": key, "name": key, "area": area, "kind": "disaster_point", "capacity": 5}

    actions.save_resources(kind, [(shelter("RACE-1"), None)])
    changes = ObjectChange.objects.count()
    # RACE-1 was created after an import checked its file: the import's write names it, writes nothing.
    with pytest.raises(actions.Conflict) as conflict:
        actions.save_resources(kind, [(shelter("RACE-2"), None), (shelter("RACE-1"), None)])
    assert conflict.value.details == ["RACE-1"]
    assert not Shelter.objects.filter(external_id="RACE-2").exists()
    # A record deleted after the check cannot be updated.
    loaded = Shelter.objects.get(external_id="RACE-1")
    actions.delete_resource(kind, Shelter.objects.get(pk=loaded.pk))
    with pytest.raises(actions.Conflict) as conflict:
        actions.save_resources(kind, [(shelter("RACE-3"), None), ({"capacity": 9}, loaded)])
    assert conflict.value.details == ["RACE-1"]
    assert not Shelter.objects.filter(external_id="RACE-3").exists()
    assert ObjectChange.objects.count() == changes + 1  # the deletion only


# --- SpatiaLite: the write lock -------------------------------------------------------------------


@contextlib.contextmanager
def default_database(path):
    """Django's default connection pointed at another database file for the length of the block."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections

    original = connections["default"]
    wrapper = original.__class__({**original.settings_dict, "NAME": str(path)}, alias="default")
    connections["default"] = wrapper
    ContentType.objects.clear_cache()
    try:
        wrapper.ensure_connection()
        yield wrapper
    finally:
        wrapper.close()
        connections["default"] = original
        ContentType.objects.clear_cache()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's database-wide write lock")
def test_the_database_stays_writable_while_an_import_checks_and_is_locked_for_a_few_statements(
    tmp_path, tmp_path_factory
):
    database = seeded_spatialite(tmp_path_factory.mktemp("writes") / "data", DEMO_PASSWORD)
    rows = [
        [
            f"LOCK-{n:04d}",
            f"锁{n}",
            118.05 + (n % 100) * 0.001,
            24.45 + (n // 100) * 0.001,
            "350203",
            "disaster_point",
            10,
        ]
        for n in range(2000)
    ]
    path = write_csv(tmp_path / "lock.csv", SHELTER_HEADER[:7], rows)

    # A second connection tries a real write, without waiting, as each statement of the import starts.
    probe = sqlite3.connect(database["path"], timeout=0, isolation_level=None)
    probe.execute("CREATE TABLE IF NOT EXISTS probe_writes (n INTEGER)")
    trace = []

    def try_to_write(sql):
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
            trace.append((sql, False))
            return
        probe.execute("INSERT INTO probe_writes VALUES (1)")
        probe.execute("COMMIT")
        trace.append((sql, True))

    with default_database(database["path"]) as wrapper, CaptureQueriesContext(wrapper) as queries:
        wrapper.connection.set_trace_callback(try_to_write)
        report = import_file("shelters", path, user=None)
        wrapper.connection.set_trace_callback(None)
        assert report.created == 2000
        assert Shelter.objects.filter(external_id__startswith="LOCK-").count() == 2000
    # What the import ran, as Django sent it: the checks, then BEGIN IMMEDIATE and the writes (the commit
    # is not a statement of its own).
    sent = [q["sql"] for q in queries.captured_queries]
    begin = next((i for i, sql in enumerate(sent) if sql.startswith("BEGIN")), None)
    # (Django keeps the last 9,000 statements: one per row or more, and the BEGIN is no longer there.)
    assert begin is not None and len(sent) - begin - 1 <= 150, f"{len(sent)} statements"
    assert begin >= 3
    # As each statement started, could another connection write? (SQLite also reports the statements
    # the spatial index runs for itself, so the trace is longer than what Django sent.)
    start = next(i for i, (sql, _free) in enumerate(trace) if sql.startswith("BEGIN"))
    end = next(i for i, (sql, _free) in enumerate(trace) if i > start and sql.startswith("COMMIT"))
    checking, writing = trace[:start], trace[start + 1 : end]
    # Reading and checking 2,000 rows: another connection could write at every statement.
    assert len(checking) >= 3 and all(free for _sql, free in checking)
    # Then the write lock, held only for the bulk writes (the probe met it at each of them).
    assert writing and not any(free for _sql, free in writing)
    assert probe.execute("SELECT count(*) FROM probe_writes").fetchone()[0] == len(checking) + 1
    probe.close()
