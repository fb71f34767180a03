"""Every state change of the core app. Views, the API, importers and commands call these; none of them
saves a domain object itself. Each action is atomic; the change log is written by the model signals
(see ``changelog``) inside the same transaction, and side effects run only after commit.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch.core.choices import Role
from citywatch.core.errors import ActionError, Conflict
from citywatch.core.models import AdminArea, ApiToken, Organisation, User
from citywatch.core.models.base import differs
from citywatch.core.models.users import hash_secret

AREA_FIELDS = ("name", "level", "parent", "boundary", "point", "point_source")


# --- Admin areas ----------------------------------------------------------------------------------


def _refresh_paths(area: AdminArea) -> None:
    """Recompute the materialised path of ``area`` and, if it moved, of everything beneath it."""
    old = area.path
    new = area.compute_path()
    if old == new:
        return
    area.path = new
    AdminArea.objects.filter(pk=area.pk).update(path=new)
    if old:
        for child in AdminArea.objects.filter(path__startswith=old).exclude(pk=area.pk).order_by("path"):
            AdminArea.objects.filter(pk=child.pk).update(path=new + child.path[len(old) :])


@transaction.atomic
def save_area(*, code: str, **fields) -> tuple[AdminArea, str]:
    """Create the area with ``code`` or update the fields given. Returns (area, created|updated|unchanged)."""
    unknown = set(fields) - set(AREA_FIELDS)
    if unknown:
        raise ActionError(_("unknown area fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    area = AdminArea.objects.select_for_update().filter(code=code).first()
    if area is None:
        area = AdminArea(code=code, **fields)
        area.path = area.compute_path()
        area.save()
        return area, "created"
    changed = [name for name, value in fields.items() if differs(getattr(area, name), value)]
    if not changed:
        return area, "unchanged"
    for name in changed:
        setattr(area, name, fields[name])
    if "parent" in changed and area.parent_id and area.parent.path.startswith(area.path):
        raise ActionError(_("%(code)s: an area cannot be placed beneath itself") % {"code": code})
    area.save()
    _refresh_paths(area)
    return area, "updated"


@transaction.atomic
def delete_area(area: AdminArea) -> None:
    if area.children.exists():
        raise Conflict(_("%(area)s: has sub-areas; delete or move them first") % {"area": area})
    area.delete()


# --- Organisations --------------------------------------------------------------------------------


@transaction.atomic
def save_organisation(*, name: str, kind: str, area: AdminArea, **fields) -> tuple[Organisation, str]:
    org = Organisation.objects.select_for_update().filter(name=name, area=area).first()
    if org is None:
        org = Organisation.objects.create(name=name, kind=kind, area=area, **fields)
        return org, "created"
    changed = False
    for key, value in {"kind": kind, **fields}.items():
        if getattr(org, key) != value:
            setattr(org, key, value)
            changed = True
    if changed:
        org.save()
    return org, "updated" if changed else "unchanged"


# --- Users, roles, tokens -------------------------------------------------------------------------


@transaction.atomic
def save_user(
    *,
    username: str,
    role: str,
    jurisdiction: AdminArea | None,
    password: str | None = None,
    organisation: Organisation | None = None,
    **fields,
) -> tuple[User, str]:
    """Create or update a user, put them in their role's group, and set the password if given."""
    if role and role not in Role.values:
        raise ActionError(
            _("unknown role %(role)s; choose one of %(roles)s")
            % {"role": repr(role), "roles": ", ".join(Role.values)}
        )
    user = User.objects.select_for_update().filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username)
    for key, value in {
        "role": role,
        "jurisdiction": jurisdiction,
        "organisation": organisation,
        **fields,
    }.items():
        setattr(user, key, value)
    if password is not None and (created or not user.check_password(password)):
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.save()
    groups = list(Group.objects.filter(name=role)) if role else []
    if sorted(g.pk for g in user.groups.all()) != sorted(g.pk for g in groups):
        user.groups.set(groups)
    return user, "created" if created else "updated"


@transaction.atomic
def create_api_token(user: User, name: str = "", expires_at=None) -> tuple[ApiToken, str]:
    """A new token for ``user``; the plain token is returned once and never stored."""
    if not user.is_active:
        raise ActionError(_("user %(username)s is not active") % {"username": user.username})
    key_id, secret, plain = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user, name=name, key_id=key_id, secret_hash=hash_secret(secret), expires_at=expires_at
    )
    return token, plain


@transaction.atomic
def revoke_api_token(token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
