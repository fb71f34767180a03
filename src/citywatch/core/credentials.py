"""Who a bearer token is, kept per process and labelled with the access version.

Authenticating ``Authorization: Bearer cw_<key id>_<secret>`` needs the token's row, its user, the
user's jurisdiction (what they see) and their permissions (what they may do): four queries and most of
the cost of a small API request. ``CREDENTIALS`` (a ``TokenCache``) keeps them per process, read once,
under the ``AccessVersion`` (``core.models.access``) read before reading them; every request reads the
version again (one indexed single-row read, no ORM) and a different number drops everything kept. Every
write that changes who a token is or what its user may do raises that number in its own transaction, so
a revoked token, a deactivated user, a role taken away or a jurisdiction changed takes effect at the
next request of every process, as it did when each request read the rows.

What is checked at each request all the same: the secret against the kept hash, the token's expiry
against the clock, the user being active. Each request gets its own copy of the user (and of their
jurisdiction), so nothing a request sets on ``request.user`` reaches another request. The user's
organisation is not kept (read when asked for).

``last_used_at`` is written at most once a minute per token and process, as before; that write does not
move the version (``ApiToken.access_version_ignores``).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass

from citywatch.core.models import AccessVersion, ApiToken

# Seconds between two writes of a token's ``last_used_at`` (per process).
LAST_USED_RESOLUTION_S = 60


def current_version(using: str | None = None) -> int | None:
    """The access version, or None when its row is missing (a test flushed the tables: keep nothing)."""
    return AccessVersion.read(using)


def bump_access_version(sender=None, using=None, raw=False, **kwargs) -> None:
    """Signal receiver (``core.apps``): a user, token, area, group or permission was written."""
    AccessVersion.bump(using)


def bump_on_relation_change(sender=None, action="", using=None, **kwargs) -> None:
    """``m2m_changed`` receiver: a user's groups or permissions, or a group's permissions, changed."""
    if action in ("post_add", "post_remove", "post_clear"):
        AccessVersion.bump(using)


@dataclass(frozen=True)
class TokenEntry:
    """A token as the bearer check needs it; ``user`` is a template, never handed to a request."""

    pk: int
    key_id: str
    secret_hash: str
    expires_at: object
    revoked_at: object
    last_used_at: object
    user: object

    def usable(self, now) -> bool:
        return (
            self.revoked_at is None
            and (self.expires_at is None or self.expires_at > now)
            and self.user.is_active
        )

    def request_user(self):
        """A copy of the user for one request, with its own copy of the jurisdiction."""
        user = copy.copy(self.user)
        area = self.user._state.fields_cache.get("jurisdiction")
        if area is not None:
            user._state.fields_cache["jurisdiction"] = copy.copy(area)
        return user


def load_token(key_id: str) -> TokenEntry | None:
    """The token with ``key_id``, its user, their jurisdiction and their permissions (all read now)."""
    record = (
        ApiToken.objects.select_related("user", "user__jurisdiction")
        .defer("user__jurisdiction__boundary", "user__jurisdiction__point")
        .filter(key_id=key_id)
        .first()
    )
    if record is None:
        return None
    user = record.user
    if user.is_active:
        # Django's ModelBackend keeps a user's permissions on the object (``_perm_cache`` …): computed
        # here once, every copy carries them, and ``has_perm`` asks no query.
        user.get_all_permissions()
        for name in ("_user_perm_cache", "_group_perm_cache", "_perm_cache"):
            if hasattr(user, name):
                setattr(user, name, frozenset(getattr(user, name)))
    return TokenEntry(
        pk=record.pk,
        key_id=record.key_id,
        secret_hash=record.secret_hash,
        expires_at=record.expires_at,
        revoked_at=record.revoked_at,
        last_used_at=record.last_used_at,
        user=user,
    )


class TokenCache:
    """The per-process store of ``TokenEntry``s by key id, valid for one access version. ``loads``
    counts the tokens read from the database (tests read it)."""

    def __init__(self, size: int = 1024):
        self.size = size
        self.lock = threading.Lock()
        self.version: int | None = None
        self.tokens: dict[str, TokenEntry] = {}
        self.used: dict[str, object] = {}  # key id → when this process last wrote last_used_at
        self.loads = 0

    def clear(self) -> None:
        with self.lock:
            self.version = None
            self.tokens = {}
            self.used = {}
            self.loads = 0

    def get(self, key_id: str) -> TokenEntry | None:
        version = current_version()
        if version is not None:
            with self.lock:
                if version != self.version:
                    self.version, self.tokens = version, {}
                entry = self.tokens.get(key_id)
            if entry is not None:
                return entry
        entry = load_token(key_id)
        with self.lock:
            self.loads += 1
            if entry is not None and version is not None and version == self.version:
                if len(self.tokens) >= self.size:
                    self.tokens = {}
                self.tokens[key_id] = entry
        return entry

    def touch(self, entry: TokenEntry, now) -> None:
        """Record the token's use (``last_used_at``), at most once a minute per process."""
        with self.lock:
            last = self.used.get(entry.key_id) or entry.last_used_at
            if last is not None and (now - last).total_seconds() <= LAST_USED_RESOLUTION_S:
                return
            if len(self.used) >= self.size:
                self.used = {}
            self.used[entry.key_id] = now
        ApiToken.objects.filter(pk=entry.pk).update(last_used_at=now)


CREDENTIALS = TokenCache()
