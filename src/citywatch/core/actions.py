"""Every state change of the core app. Views, the API, importers and commands call these; none of them
saves a domain object itself. Each action is atomic; the change log is written by the model signals
(see ``changelog``) inside the same transaction, and side effects run only after commit.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from citywatch.core.choices import Role
from citywatch.core.errors import ActionError, Conflict
from citywatch.core.models import AdminArea, ApiToken, Organisation, User
from citywatch.core.models.base import differs
from citywatch.core.models.users import hash_secret

AREA_FIELDS = ("name", "level", "parent", "boundary", "point", "point_source")

log = logging.getLogger(__name__)


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
    must_change_password: bool = True,
    organisation: Organisation | None = None,
    **fields,
) -> tuple[User, str]:
    """Create or update a user, put them in their role's group, and set the password if given.

    A password set here was chosen by someone other than the user (an administrator, a script), so the
    user must change it at their next login, unless ``must_change_password=False`` says otherwise
    (the demo's shared, published password)."""
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
        user.must_change_password = must_change_password
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


def revoke_user_tokens(user: User) -> int:
    """Revoke every usable API token of ``user``; returns how many."""
    now = timezone.now()
    return (
        ApiToken.objects.filter(user=user, revoked_at__isnull=True)
        .exclude(expires_at__lte=now)
        .update(revoked_at=now)
    )


def on_user_saved(sender, instance: User, created: bool = False, raw: bool = False, **kwargs) -> None:
    """After any password change (the change page, a reset link, the admin, ``changepassword``, a
    script): the user's API tokens are revoked unless CITYWATCH_KEEP_TOKENS_ON_PASSWORD_CHANGE. Connected
    to ``post_save`` of User; ``_password`` is set only by ``set_password`` (not by a hash upgrade)."""
    if raw or created or getattr(instance, "_password", None) is None:
        return
    if settings.CITYWATCH_KEEP_TOKENS_ON_PASSWORD_CHANGE:
        return
    revoked = revoke_user_tokens(instance)
    if revoked:
        log.info("password of %s changed: %d API token(s) revoked", instance.username, revoked)


@transaction.atomic
def set_own_password(user: User, password: str) -> User:
    """The user chose their password (the change page or a reset link): no change is required any more."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(password)
    user.must_change_password = False
    user.save()
    return user


class ResetLinkTokens(PasswordResetTokenGenerator):
    """Django's reset tokens (valid for PASSWORD_RESET_TIMEOUT; void once the password or last login
    changes), also void once a newer link is issued."""

    key_salt = "citywatch.core.actions.ResetLinkTokens"

    def _make_hash_value(self, user, timestamp):
        issued = user.password_reset_issued_at
        return super()._make_hash_value(user, timestamp) + (issued.isoformat() if issued else "")


reset_link_tokens = ResetLinkTokens()


@transaction.atomic
def issue_reset_link(user: User) -> str:
    """A one-time link (a path; prefix it with the site's address) with which ``user`` sets a new
    password. Issuing it is logged (who, when) through ``password_reset_issued_at``; an earlier link stops
    working. No e-mail is sent: the administrator hands the link over."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise ActionError(_("user %(username)s is not active") % {"username": user.username})
    user.password_reset_issued_at = timezone.now()
    user.save(update_fields=["password_reset_issued_at"])
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse(
        "password_reset_confirm", kwargs={"uidb64": uidb64, "token": reset_link_tokens.make_token(user)}
    )


def absolute_url(path: str, request=None) -> str:
    """``path`` on CITYWATCH_BASE_URL when set, else on the address of ``request``, else as is."""
    if settings.CITYWATCH_BASE_URL:
        return settings.CITYWATCH_BASE_URL.rstrip("/") + path
    if request is not None:
        return request.build_absolute_uri(path)
    return path
