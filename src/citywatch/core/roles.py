"""Roles: what each role may do, declared by every app in one literal table, and the groups that hold it.

A role says what a user may do; the jurisdiction (an admin area) says where. Each app's ``roles.py``
declares ``GRANTS`` — role → model name → actions — and may declare ``ROW_RULES`` — (role, "app.action_model")
→ a function of the user giving the ``Q`` of the rows that role may act on (a team leader changes only
their own team). Nothing is granted by importing a module: ``role_permissions()`` reads every
installed CityWatch app's table, and ``sync_role_groups`` (after every migrate) makes one Django group per
role holding exactly those permissions.

This module reads other apps' tables through the app registry; it imports none of them by name.
"""

from __future__ import annotations

import functools
import importlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from django.apps import apps

from citywatch.core.choices import Role

ALL = ("view", "add", "change", "delete")
VIEW = ("view",)
VIEW_ADD_CHANGE = ("view", "add", "change")

EVERYONE = tuple(Role.values)
PEOPLE = tuple(r for r in Role.values if r != Role.DATA_FEED)
CITY_ROLES = (Role.CITY_ADMIN, Role.COMMANDER, Role.DUTY_OFFICER)

# role → model name → actions; "app.action_model" is made from the app that declares it.
GrantTable = Mapping[str, Mapping[str, Sequence[str]]]
RowRule = Callable[[object], object]  # user → Q

# The core app's own grants.
GRANTS: GrantTable = {
    Role.CITY_ADMIN: {"adminarea": ALL, "organisation": ALL, "user": ALL, "objectchange": VIEW},
    Role.COMMANDER: {"adminarea": VIEW, "organisation": VIEW, "objectchange": VIEW},
    Role.DUTY_OFFICER: {"adminarea": VIEW, "organisation": VIEW, "objectchange": VIEW},
    Role.DISTRICT_OFFICER: {
        "adminarea": VIEW,
        "organisation": VIEW_ADD_CHANGE,
        "objectchange": VIEW,
    },
    Role.INSPECTOR: {"adminarea": VIEW, "organisation": VIEW},
    Role.TEAM_LEADER: {"adminarea": VIEW, "organisation": VIEW},
    Role.DATA_FEED: {"adminarea": VIEW},
}


def merge(*tables: GrantTable) -> dict[str, dict[str, tuple[str, ...]]]:
    """Several grant tables as one (the actions of a model granted twice are joined)."""
    out: dict[str, dict[str, tuple[str, ...]]] = defaultdict(dict)
    for table in tables:
        for role, models in table.items():
            for model, actions in models.items():
                out[role][model] = tuple(dict.fromkeys((*out[role].get(model, ()), *actions)))
    return dict(out)


def same(models: Sequence[str], actions: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """``{model: actions}`` for several models given the same actions."""
    return dict.fromkeys(models, tuple(actions))


def _roles_modules():
    for config in apps.get_app_configs():
        if not config.name.startswith("citywatch."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.roles")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.roles":
                raise
            continue
        yield config.label, module


@functools.cache
def role_permissions() -> dict[str, frozenset[str]]:
    """Role → the permission names ("app.action_model") every app's table grants it."""
    perms: dict[str, set[str]] = defaultdict(set)
    for label, module in _roles_modules():
        for role, models in getattr(module, "GRANTS", {}).items():
            if role not in Role.values:
                raise ValueError(f"{module.__name__}: unknown role {role!r}")
            for model, actions in models.items():
                perms[role].update(f"{label}.{action}_{model}" for action in actions)
    return {role: frozenset(perms.get(role, ())) for role in Role.values}


@functools.cache
def row_rules() -> dict[tuple[str, str], RowRule]:
    """(role, permission name) → the rule limiting the rows that role may act on with that permission."""
    rules: dict[tuple[str, str], RowRule] = {}
    for _label, module in _roles_modules():
        rules.update(getattr(module, "ROW_RULES", {}))
    return rules


def sync_role_groups(sender=None, **kwargs):
    """Create one group per role holding exactly the permissions of ``role_permissions()``."""
    from django.contrib.auth.models import Group, Permission

    perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    table = role_permissions()
    for role in Role.values:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [perms[name] for name in sorted(table[role]) if name in perms]
        group.permissions.set(wanted)
