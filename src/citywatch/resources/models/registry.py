import secrets

from django.db import connections, models, router
from django.db.models import F


class RegistryVersion(models.Model):
    """One row whose ``value`` every write to the registry's records raises, in the writing transaction:
    a record saved or deleted (signals), a batch of records (``actions.save_resources``), an admin area
    saved (its path decides who sees which records). A process that keeps something derived from the
    registry (the nearby analysis' prepared candidates, ``resources.nearby``) keeps it with the value it
    read before deriving it and derives it again when the value has moved: no process ever serves
    another's stale copy, and the writer's own transaction sees its bump at once.

    Each bump adds a random step (1 … 2³¹), not 1: a transaction that bumped and then rolled back must
    not leave its value to the next writer, or a copy derived inside it (from rows that never existed)
    would pass for current."""

    ROW = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ROW)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "registry version"

    def __str__(self):
        return f"registry version {self.value}"

    @classmethod
    def current(cls, using: str | None = None) -> int:
        # Read at every nearby request: one indexed row, without the ORM's cost of building a query.
        using = using or router.db_for_read(cls)
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT value FROM {cls._meta.db_table} WHERE id = %s", [cls.ROW])  # noqa: S608
            row = cursor.fetchone()
        return 0 if row is None else int(row[0])

    @classmethod
    def bump(cls, using: str | None = None) -> None:
        using = using or router.db_for_write(cls)
        step = 1 + secrets.randbelow(2**31)
        if not cls.objects.using(using).filter(pk=cls.ROW).update(value=F("value") + step):
            # The row is made by the migration; a test that flushed the tables starts it again.
            cls.objects.using(using).get_or_create(pk=cls.ROW, defaults={"value": step})
