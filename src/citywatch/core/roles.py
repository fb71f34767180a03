"""Roles map to Django groups with model permissions; apps add their own permissions here.

A role says what a user may do; the jurisdiction (an admin area) says where. ``sync_role_groups`` runs
after every migrate, so the groups always match this table.
"""

from __future__ import annotations

from collections import defaultdict

from citywatch.core.choices import Role

ROLE_PERMISSIONS: dict[str, set[str]] = defaultdict(set)

ALL = ("view", "add", "change", "delete")
VIEW = ("view",)


def grant(roles, app_label: str, models: list[str], actions=ALL) -> None:
    for role in roles:
        for model in models:
            for action in actions:
                ROLE_PERMISSIONS[role].add(f"{app_label}.{action}_{model}")


EVERYONE = list(Role.values)
PEOPLE = [r for r in Role.values if r != Role.DATA_FEED]
CITY_ROLES = [Role.CITY_ADMIN, Role.COMMANDER, Role.DUTY_OFFICER]

grant(EVERYONE, "core", ["adminarea"], VIEW)
grant(PEOPLE, "core", ["organisation"], VIEW)
grant([Role.CITY_ADMIN], "core", ["adminarea", "organisation", "user"])
grant(
    [Role.CITY_ADMIN, Role.COMMANDER, Role.DUTY_OFFICER, Role.DISTRICT_OFFICER],
    "core",
    ["objectchange"],
    VIEW,
)
grant([Role.DISTRICT_OFFICER], "core", ["organisation"], ("add", "change"))


def sync_role_groups(sender=None, **kwargs):
    """Create one group per role holding exactly the permissions in ROLE_PERMISSIONS."""
    from django.contrib.auth.models import Group, Permission

    perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for role in Role.values:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [perms[name] for name in sorted(ROLE_PERMISSIONS[role]) if name in perms]
        group.permissions.set(wanted)
