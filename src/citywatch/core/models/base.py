"""Base classes every domain model shares: jurisdiction-restricted querysets and change logging."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Q

PATH_SEP = "."


@dataclass(frozen=True)
class Scope:
    """Where a user sees and acts: everything (a superuser, or a jurisdiction at province or city level),
    an area and everything beneath it (``path``, e.g. ``350200.350203.``), or nothing (``path`` None: no
    jurisdiction, not logged in, inactive)."""

    everything: bool
    path: str | None

    @property
    def nothing(self) -> bool:
        return self.path is None

    def covers(self, area_path: str | None) -> bool:
        """Whether an area (by its path) lies in this scope."""
        if self.path is None:
            return False
        return self.everything or bool(area_path and area_path.startswith(self.path))

    def ancestors(self) -> list[str]:
        """The paths of the areas above this scope's area (``350200.`` for ``350200.350203.``); none for
        everything or nothing."""
        if self.path is None or self.everything:
            return []
        parts = self.path.rstrip(PATH_SEP).split(PATH_SEP)
        return [PATH_SEP.join(parts[:n]) + PATH_SEP for n in range(1, len(parts))]

    def q(self, lookup: str) -> Q:
        """The rows whose area path (through ``lookup``) lies in this scope; city-wide users also see rows
        tied to no area. ``Q(pk__in=[])`` for nobody."""
        if self.path is None:
            return Q(pk__in=[])
        if self.everything and self.path == "":
            return Q()
        condition = Q(**{f"{lookup}__startswith": self.path})
        if self.everything:
            condition |= Q(**{f"{lookup}__isnull": True}) | Q(**{lookup: ""})
        return condition


NOBODY = Scope(False, None)


def scope_of(user) -> Scope:
    """The user's ``Scope``: a superuser, or a user whose jurisdiction is a province or city, sees
    everything the instance holds; anyone else their jurisdiction's area and everything beneath it; no
    jurisdiction means nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOBODY
    if user.is_superuser:
        return Scope(True, "")
    area = getattr(user, "jurisdiction", None)
    if area is None:
        return NOBODY
    from citywatch.core.choices import CITY_WIDE_LEVELS

    return Scope(area.level in CITY_WIDE_LEVELS, area.path)


class RestrictedQuerySet(models.QuerySet):
    """``Model.objects.restrict(user, action)``: the rows this user may ``action``.

    Three things, always together (see ``core.access``): the role's Django permission for ``action`` on
    the model; the user's jurisdiction, through the model's ``jurisdiction_path`` lookup (a path of
    admin-area codes such as ``350200.350203.``; a model without one is a catalogue, seen whole); and the
    row rule the user's role may have for that action (``roles.ROW_RULES``).

    A model whose rows above a jurisdiction also concern the people below (a city-wide warning concerns
    every district) gives its queryset ``view_reaches_above = True`` and widens ``jurisdiction_q`` for
    "view" only: every other action keeps to the jurisdiction (``access.get_for`` checks it).
    """

    view_reaches_above = False

    def jurisdiction_q(self, user, scope: Scope, action: str) -> Q:
        """The rows of ``scope`` (the user's) for ``action``: by default those whose ``jurisdiction_path``
        lies in it."""
        lookup = getattr(self.model, "jurisdiction_path", None)
        return Q() if lookup is None else scope.q(lookup)

    def restrict(self, user, action: str = "view"):
        from citywatch.core.access import can, row_rule

        if not can(user, self.model, action):
            return self.none()
        scope = scope_of(user)
        if scope.nothing:
            return self.none()
        qs = self.filter(self.jurisdiction_q(user, scope, action))
        rule = row_rule(user, self.model, action)
        return qs if rule is None else qs.filter(rule)

    def within(self, user):
        """The rows in the user's jurisdiction, whatever their role may do with them (for the forms
        and checks that need the places a user works in, not the records they may read)."""
        lookup = getattr(self.model, "jurisdiction_path", None)
        return self if lookup is None else self.filter(scope_of(user).q(lookup))


def differs(current, new, *, unordered_lists: bool = False) -> bool:
    """Whether writing ``new`` over ``current`` changes a field: geometries by their coordinates (to
    1e-9°), related objects by their key, a list of choices (``unordered_lists``) as a set."""
    if current is None or new is None:
        return (current is None) != (new is None)
    if hasattr(current, "equals_exact") and hasattr(new, "equals_exact"):
        return not current.equals_exact(new, 1e-9)
    if hasattr(current, "pk") or hasattr(new, "pk"):
        return getattr(current, "pk", current) != getattr(new, "pk", new)
    strings = (
        isinstance(current, list) and isinstance(new, list) and all(isinstance(v, str) for v in current + new)
    )
    if unordered_lists and strings:
        return sorted(current) != sorted(new)
    return current != new


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
