"""``VersionCounter``: one row whose number every write of some set of records raises, in the writing
transaction. A process keeps what it derived from those records with the number it read before deriving
it, and derives again when the number has moved: no process serves another's stale copy, and the
writer's own transaction sees its raise at once. ``core.AccessVersion`` (who a request is and what it
may do) and ``resources.RegistryVersion`` (the registry's records) are the two counters.

Each raise adds a random step (1 … 2³¹), not 1: a transaction that raised and then rolled back must not
leave its number to the next writer, or a copy derived inside it (from rows that never existed) would
pass for current.

A bulk writer (the demo's load, an import of thousands of rows in one transaction) wraps its writes in
``raised_once()``: the raises of the block are collected and each counter is raised once when the block
ends — inside the writing transaction, as the block must be — instead of once per row.
"""

from __future__ import annotations

import contextlib
import contextvars
import secrets

from django.db import connections, models, router
from django.db.models import F

_PENDING: contextvars.ContextVar[set | None] = contextvars.ContextVar("version_raises", default=None)


@contextlib.contextmanager
def raised_once():
    """Collect the version raises of the block and make each once when it ends (even when it raises: a
    raise for writes that were rolled back is harmless, a missing one is not). Nested blocks join the
    outermost."""
    if _PENDING.get() is not None:
        yield
        return
    token = _PENDING.set(set())
    try:
        yield
    finally:
        pending = _PENDING.get()
        _PENDING.reset(token)
        for counter, using in sorted(pending, key=lambda pair: (pair[0].__name__, pair[1])):
            counter.bump(using)


class VersionCounter(models.Model):
    ROW = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ROW)
    value = models.BigIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self._meta.verbose_name} {self.value}"

    @classmethod
    def read(cls, using: str | None = None) -> int | None:
        """The number, or None when the row is missing (a test flushed the tables). Read at every request
        that uses a derived copy: one indexed row, without the ORM's cost of building a query."""
        using = using or router.db_for_read(cls)
        # The row's id written into the statement (an integer constant): without parameters, Django's
        # SQLite cursor does not rewrite the statement's placeholders at every call.
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT value FROM {cls._meta.db_table} WHERE id = {int(cls.ROW)}")  # noqa: S608
            row = cursor.fetchone()
        return None if row is None else int(row[0])

    @classmethod
    def bump(cls, using: str | None = None) -> None:
        using = using or router.db_for_write(cls)
        pending = _PENDING.get()
        if pending is not None:
            pending.add((cls, using))
            return
        step = 1 + secrets.randbelow(2**31)
        if not cls.objects.using(using).filter(pk=cls.ROW).update(value=F("value") + step):
            # The row is made by the migration; a test that flushed the tables starts it again.
            cls.objects.using(using).get_or_create(pk=cls.ROW, defaults={"value": step})
