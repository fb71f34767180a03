from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citywatch.core.choices import Role
from citywatch.core.models.access import BumpsAccessVersion
from citywatch.core.models.base import PATH_SEP, ChangeLogged, RestrictedQuerySet


def covering_paths(area_path: str) -> list[str]:
    """The paths of an area and of every area above it ("350200.", "350200.350203.", …)."""
    codes = [c for c in area_path.split(PATH_SEP) if c]
    return [PATH_SEP.join(codes[: i + 1]) + PATH_SEP for i in range(len(codes))]


class UserQuerySet(BumpsAccessVersion, RestrictedQuerySet):
    def people(self):
        """Active persons: a data feed account (``feed-<source>``, a machine writing readings) is never
        offered a role, a task or an order."""
        return self.filter(is_active=True).exclude(role=Role.DATA_FEED)

    def covering(self, area):
        """Active persons whose jurisdiction covers ``area`` (it or an area above it): the people who can
        take a role in what happens there, own its tasks or answer its orders."""
        return (
            self.people()
            .filter(jurisdiction__path__in=covering_paths(area.path))
            .select_related("jurisdiction")
        )

    def covering_each(self, areas) -> dict[int, list]:
        """``covering`` for many areas in one query: area id → the users covering it."""
        areas = list(areas)
        paths = {p for a in areas for p in covering_paths(a.path)}
        people = list(self.people().filter(jurisdiction__path__in=paths).select_related("jurisdiction"))
        return {a.pk: [u for u in people if a.path.startswith(u.jurisdiction.path)] for a in areas}


class CityWatchUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser, ChangeLogged):
    """A person (or a machine feed) with one role and a jurisdiction: an admin area and all beneath it."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    jurisdiction = models.ForeignKey(
        "core.AdminArea",
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("organisation"), null=True, blank=True, on_delete=models.SET_NULL
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        help_text=_(
            "Set when someone else chose the password (a new account, an administrator's change): the user "
            "must choose their own at the next login before doing anything else."
        ),
    )
    # When the password last changed and when the last reset link was issued: the change log shows both
    # (who and when), never the password. A new link makes earlier ones invalid.
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True, editable=False)
    password_reset_issued_at = models.DateTimeField(
        _("reset link issued"), null=True, blank=True, editable=False
    )

    objects = CityWatchUserManager()

    jurisdiction_path = "jurisdiction__path"
    changelog_exclude = ("password", "last_login")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def change_area_path(self) -> str:
        return self.jurisdiction.path if self.jurisdiction_id else ""

    @property
    def display_name(self) -> str:
        """How pages, logs and messages name a person: their full name, else their username."""
        return (self.get_full_name() or self.username).strip()

    def covers(self, area) -> bool:
        """Whether ``area`` lies in this user's jurisdiction."""
        from citywatch.core.models.base import scope_of

        return scope_of(self).covers(area.path)

    def save(self, *args, **kwargs):
        # ``set_password`` leaves the new password in ``_password`` until the save (a hash upgrade at
        # login does not); stamp the change so that the log shows it.
        if self._password is not None:
            self.password_changed_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "password_changed_at"}
        super().save(*args, **kwargs)


TOKEN_PREFIX = "cw"  # noqa: S105 - a label, not a secret


def hash_secret(secret: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(BumpsAccessVersion, models.QuerySet):
    pass


class ApiToken(models.Model):
    """A bearer token for a machine client. Only its hash is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_id = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    # Kept current by the bearer check itself (at most once a minute); nothing it decides reads it.
    access_version_ignores = ("last_used_at",)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{TOKEN_PREFIX}_{self.key_id}_… ({self.user})"

    @staticmethod
    def new_key() -> tuple[str, str, str]:
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        return key_id, secret, f"{TOKEN_PREFIX}_{key_id}_{secret}"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
