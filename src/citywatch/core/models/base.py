"""Base classes every domain model shares: jurisdiction-restricted querysets and change logging."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

PATH_SEP = "."


def user_scope(user) -> tuple[bool, str | None]:
    """(sees_everything, area_path) for a user.

    A superuser, or a user whose jurisdiction is a province or city, sees everything the instance holds.
    Anyone else sees their jurisdiction's area and everything beneath it; no jurisdiction means nothing.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False, None
    if user.is_superuser:
        return True, ""
    area = getattr(user, "jurisdiction", None)
    if area is None:
        return False, None
    from citywatch.core.choices import CITY_WIDE_LEVELS

    return area.level in CITY_WIDE_LEVELS, area.path


class RestrictedQuerySet(models.QuerySet):
    """``Model.objects.restrict(user, action)``: what this user may do ``action`` on.

    ``action`` is one of view / add / change / delete and is checked against the model's Django
    permission; the rows are then limited to the user's jurisdiction through the model's
    ``jurisdiction_path`` lookup (a path of admin-area codes such as ``350200.350203.``).
    """

    def restrict(self, user, action: str = "view"):
        model = self.model
        opts = model._meta
        if user is None or not user.is_authenticated:
            return self.none()
        if not user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
            return self.none()
        everything, path = user_scope(user)
        if path is None:
            return self.none()
        lookup = getattr(model, "jurisdiction_path", None)
        if lookup is None:
            # Models with no place (e.g. catalogues) are visible to whoever has the permission.
            return self
        if everything and path == "":
            return self
        condition = Q(**{f"{lookup}__startswith": path})
        if everything:
            # City-wide users also see rows that belong to no area.
            condition |= Q(**{f"{lookup}__isnull": True}) | Q(**{lookup: ""})
        return self.filter(condition)


class RestrictedManager(models.Manager.from_queryset(RestrictedQuerySet)):
    pass


class ChangeLogged(models.Model):
    """Marks a model whose every create, update and delete is written to the change log.

    ``change_area_path()`` says where the object lives, so the change log can be restricted like the
    object itself.
    """

    class Meta:
        abstract = True

    # Fields left out of change-log snapshots (large or secret).
    changelog_exclude: tuple[str, ...] = ()

    def change_area_path(self) -> str:
        return ""

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The "before" image for the change log, kept as loaded (serialised only if the row is saved).
        instance._changelog_loaded = dict(zip(field_names, values, strict=True))
        return instance


class DomainModel(ChangeLogged):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager()

    class Meta:
        abstract = True


class ReadOnlyError(Exception):
    """An attempt to edit or delete a record of an append-only log."""


class AppendOnlyQuerySet(RestrictedQuerySet):
    """Bulk update and delete are refused: the rows of a log are written once."""

    def update(self, **kwargs):
        raise ReadOnlyError(f"the {self.model.append_only_label} cannot be edited")

    def delete(self):
        raise ReadOnlyError(f"the {self.model.append_only_label} cannot be deleted")


class AppendOnly(models.Model):
    """A log whose rows are created and never changed: the change log, the incident log, the handover log.
    Subclasses name themselves in ``append_only_label`` for the error messages."""

    append_only_label = "log"

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ReadOnlyError(f"the {self.append_only_label} cannot be edited")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ReadOnlyError(f"the {self.append_only_label} cannot be deleted")
