"""PostgreSQL partitions of the observation table: one per calendar month (UTC), named
``monitoring_observation_pYYYYMM``. The worker creates the current month and
``CITYWATCH_OBSERVATION_PARTITIONS_AHEAD`` months ahead and drops whole partitions older than
``CITYWATCH_OBSERVATION_RETENTION_DAYS``; the ingestion creates a missing month itself (a late or
historical batch), so a reading never fails for want of a partition. On SQLite nothing happens here.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db import connection, transaction

from citywatch.monitoring.models import Observation

PARENT = Observation._meta.db_table
NAME = re.compile(rf"^{PARENT}_p(\d{{4}})(\d{{2}})$")
_known: set[tuple[int, int]] = set()
LOCK_SPACE = 0x4D4F50  # the first key of the partitions' advisory locks


def _month(epoch: int) -> tuple[int, int]:
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return moment.year, moment.month


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def partition_name(year: int, month: int) -> str:
    return f"{PARENT}_p{year:04d}{month:02d}"


def existing() -> set[tuple[int, int]]:
    """The months that have a partition."""
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [PARENT],
        )
        months = set()
        for (name,) in cursor.fetchall():
            match = NAME.match(name)
            if match:
                months.add((int(match.group(1)), int(match.group(2))))
    return months


def create(year: int, month: int) -> bool:
    """Create one month's partition if missing; True if it was created."""
    if connection.vendor != "postgresql":
        return False
    end = _next(year, month)
    with connection.cursor() as cursor:
        # two batches of a new month at once: the second waits for the first's commit, then finds it
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, year * 100 + month])
        cursor.execute("SELECT to_regclass(%s)", [partition_name(year, month)])
        if cursor.fetchone()[0] is not None:
            transaction.on_commit(lambda: _known.add((year, month)))
            return False
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {partition_name(year, month)} PARTITION OF {PARENT} "
            f"FOR VALUES FROM ('{year:04d}-{month:02d}-01 00:00:00+00') "
            f"TO ('{end[0]:04d}-{end[1]:02d}-01 00:00:00+00')"
        )
    transaction.on_commit(lambda: _known.add((year, month)))  # not if the transaction rolls back
    return True


def ensure_for(first: int, last: int) -> None:
    """Every month from ``first`` to ``last`` (epoch seconds) has a partition (called by the ingestion,
    inside its transaction; a process remembers the months it has seen)."""
    if connection.vendor != "postgresql":
        return
    month, end = _month(first), _month(last)
    wanted = []
    while month <= end:
        if month not in _known:
            wanted.append(month)
        month = _next(*month)
        if len(wanted) > 1200:
            break
    for year, mon in wanted:
        create(year, mon)


def forget() -> None:
    """Forget the months seen (tests that drop the table, a restore)."""
    _known.clear()


def create_ahead(now: dt.datetime | None = None, months: int | None = None) -> list[str]:
    """The current month and ``months`` ahead; returns the partitions created."""
    if connection.vendor != "postgresql":
        return []
    now = now or dt.datetime.now(dt.UTC)
    months = settings.CITYWATCH_OBSERVATION_PARTITIONS_AHEAD if months is None else months
    month = (now.year, now.month)
    created = []
    with transaction.atomic():
        for _ in range(months + 1):
            if create(*month):
                created.append(partition_name(*month))
            month = _next(*month)
    return created


def drop_expired(now: dt.datetime | None = None, days: int | None = None) -> list[str]:
    """Drop the partitions whose whole month ended more than ``days`` ago (0: keep everything)."""
    days = settings.CITYWATCH_OBSERVATION_RETENTION_DAYS if days is None else days
    if connection.vendor != "postgresql" or days <= 0:
        return []
    now = now or dt.datetime.now(dt.UTC)
    cutoff = now - dt.timedelta(days=days)
    dropped = []
    with transaction.atomic():
        for year, month in sorted(existing()):
            end_year, end_month = _next(year, month)
            if dt.datetime(end_year, end_month, 1, tzinfo=dt.UTC) <= cutoff:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE IF EXISTS {partition_name(year, month)}")
                _known.discard((year, month))
                dropped.append(partition_name(year, month))
    return dropped
