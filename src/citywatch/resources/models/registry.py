from citywatch.core.models.versions import VersionCounter


class RegistryVersion(VersionCounter):
    """One row whose ``value`` every write to the registry's records raises, in the writing transaction:
    a record saved or deleted (signals), a batch of records (``actions.save_resources``), an admin area
    saved (its path decides who sees which records). A process that keeps something derived from the
    registry (the nearby analysis' prepared candidates, ``resources.nearby``) keeps it with the value it
    read before deriving it and derives it again when the value has moved: no process ever serves
    another's stale copy, and the writer's own transaction sees its bump at once.
    A ``core.models.versions.VersionCounter``."""

    class Meta:
        verbose_name = "registry version"

    @classmethod
    def current(cls, using: str | None = None) -> int:
        return cls.read(using) or 0
