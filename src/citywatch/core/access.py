"""The one access mechanism: what a user may see and do, asked in one call.

- ``permission_name(model, action)`` — the Django permission behind an action (``incidents.change_incident``).
- ``can(user, model, action)`` / ``require(user, model, action)`` — the role's permission, as a boolean or
  as a ``Forbidden`` (403) with a message naming the things.
- ``get_for(user, queryset, action="view", **lookup)`` — fetch and check at once: the row matching
  ``lookup`` among those the user may see (``restrict(user, "view")``: their role may view the model and
  the row lies in their jurisdiction), else ``NotFound`` (404); then, for another action, ``Forbidden``
  (403) when their role may not do it or a row rule of their role leaves this row out (a team leader
  changes only their own team), or — for a model whose rows are seen from below (``view_reaches_above``:
  district staff see a city-wide warning) — the row lies outside the user's jurisdiction.

Lists read ``Model.objects.restrict(user, action)`` (see ``core.models.base``), which applies the same
three things: the permission, the jurisdiction, the row rules. Pages and the API both call these; no
endpoint open-codes a permission string.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citywatch.core.errors import Forbidden, NotFound

NOT_ALLOWED = {
    "add": gettext_noop("you may not add %(things)s"),
    "change": gettext_noop("you may not change %(things)s"),
    "delete": gettext_noop("you may not delete %(things)s"),
    "view": gettext_noop("you may not view %(things)s"),
}
NOT_FOUND = gettext_noop("no such %(thing)s in your jurisdiction")


def _model(model_or_queryset) -> type[models.Model]:
    return getattr(model_or_queryset, "model", model_or_queryset)


def permission_name(model, action: str) -> str:
    """``app_label.action_modelname`` for a model (or queryset) and an action (view/add/change/delete)."""
    opts = _model(model)._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


def can(user, model, action: str) -> bool:
    """Whether the user's role may ``action`` rows of ``model`` at all (the jurisdiction aside).

    ``user.has_perm``'s answer. When ModelBackend's permission set is already on the user (a kept user's,
    ``credentials.keep_permissions``) it is read directly: ``has_perm`` would load every authentication
    backend by its dotted path at each call (six calls for one nearby answer) to reach the same set."""
    if user is None or not user.is_authenticated:
        return False
    perm = permission_name(model, action)
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    kept = getattr(user, "_perm_cache", None)
    return perm in kept if kept is not None else user.has_perm(perm)


def require(user, model, action: str) -> None:
    """``Forbidden`` (403) unless the user's role may ``action`` rows of ``model``."""
    if not can(user, model, action):
        raise Forbidden(
            _(NOT_ALLOWED.get(action, NOT_ALLOWED["change"]))
            % {"things": _model(model)._meta.verbose_name_plural}
        )


def row_rule(user, model, action: str):
    """The ``Q`` a row rule of the user's role sets for ``action`` on ``model``, or None."""
    from citywatch.core.roles import row_rules

    if user is None or getattr(user, "is_superuser", False):
        return None
    rule = row_rules().get((getattr(user, "role", ""), permission_name(model, action)))
    return None if rule is None else rule(user)


def get_for(user, queryset, action: str = "view", **lookup):
    """The one row of ``queryset`` matching ``lookup`` that the user may ``action``.

    ``NotFound`` when it does not exist or lies outside what the user may see, ``Forbidden`` when they may
    see it but not ``action`` it. ``queryset`` may be a model or a queryset (its ``select_related`` and
    ``only`` are kept).
    """
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    model = qs.model
    obj = qs.restrict(user, "view").filter(**lookup).first()
    if obj is None:
        raise NotFound(_(NOT_FOUND) % {"thing": model._meta.verbose_name})
    if action == "view":
        return obj
    require(user, model, action)
    rule = row_rule(user, model, action)
    if getattr(qs, "view_reaches_above", False):
        # seen from below (a city-wide warning by district staff) is not acted on from below
        if not qs.restrict(user, action).filter(pk=obj.pk).exists():
            raise Forbidden(_(NOT_ALLOWED.get(action, NOT_ALLOWED["change"])) % {"things": obj})
    elif rule is not None and not qs.filter(rule, pk=obj.pk).exists():
        raise Forbidden(_(NOT_ALLOWED.get(action, NOT_ALLOWED["change"])) % {"things": obj})
    return obj


def allowed(user, obj, action: str) -> bool:
    """Whether ``get_for(user, …, action)`` would hand ``obj`` over (for a page's buttons: "edit" only
    where the user may edit)."""
    try:
        get_for(user, type(obj), action, pk=obj.pk)
    except (NotFound, Forbidden):
        return False
    return True
