"""``AccessVersion``: one number that moves with every write deciding who a request is and what it may do.

A process may keep what it derived from users, their API tokens, roles (groups and permissions) and
jurisdictions (``core.credentials``: a bearer token's user with their permissions and jurisdiction) as
long as this number has not moved since it read it. Every write that could change an answer raises it in
the writing transaction:

* ``save``/``delete`` of a user, an API token, an admin area, a group or a permission, and every change
  of a user's groups or permissions or a group's permissions (signals, connected in ``core.apps``);
* ``update``, ``bulk_create`` and ``bulk_update`` of users, API tokens and admin areas, which send no
  signal (``BumpsAccessVersion``, the querysets of those models) — except an update of only the columns
  in the model's ``access_version_ignores`` (a token's ``last_used_at``).

A ``VersionCounter`` like the registry's version (``resources.RegistryVersion``).
"""

from __future__ import annotations

from citywatch.core.models.versions import VersionCounter


class AccessVersion(VersionCounter):
    class Meta:
        verbose_name = "access version"


class BumpsAccessVersion:
    """Queryset mixin: writes that send no signal raise ``AccessVersion`` too."""

    def update(self, **kwargs):
        rows = super().update(**kwargs)
        if rows and not set(kwargs) <= set(getattr(self.model, "access_version_ignores", ())):
            AccessVersion.bump(self.db)
        return rows

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            AccessVersion.bump(self.db)
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        rows = super().bulk_update(objs, fields, *args, **kwargs)
        if rows:
            AccessVersion.bump(self.db)
        return rows

    bulk_update.alters_data = True
