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

Browser sessions the same way (``SESSIONS``, a ``SessionCache``, used by
``core.middleware.AuthenticationMiddleware``): a session key's user — read the first time by Django's
own ``auth.get_user`` (the session row, the user, the check of the session's password hash), then with
their jurisdiction and permissions — is kept under the access version until the session's expiry. A
kept session reads neither the session row nor the user. Deleting a session row (a logout, a login that
cycles the key, ``clearsessions``) raises the access version like the writes above, as does every save of
a user (a password, role or active flag changed, a login's ``last_login``); so a logout, a deactivation,
a password or a role change take effect at the next request of every process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import django
from django.conf import settings
from django.db.models.base import DJANGO_VERSION_PICKLE_KEY
from django.utils import timezone

from citywatch.core.models import AccessVersion, ApiToken, User

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

    def request_user(self, version: int | None = None):
        return request_copy(self.user, version)


def request_copy(template, version: int | None = None):
    """A copy of a kept user for one request, with its own copy of the jurisdiction; ``version``: the
    access version this request was authenticated under (``version_seen``)."""
    user = _copy(template)
    area = template._state.fields_cache.get("jurisdiction")
    if area is not None:
        user._state.fields_cache["jurisdiction"] = _copy(area)
    user._access_version = version
    return user


def _copy(instance):
    """``copy.copy`` of a model instance without the pickling detour (``Model.__reduce__`` looks the model
    up in the app registry): ``Model.__getstate__`` copies ``_state`` and its fields cache."""
    state = instance.__getstate__()
    state[DJANGO_VERSION_PICKLE_KEY] = django.__version__
    clone = object.__new__(type(instance))
    clone.__setstate__(state)
    return clone


def version_seen(user) -> int | None:
    """The access version the request of ``user`` was authenticated under (read once per request by the
    token or session check), else the version now."""
    version = getattr(user, "_access_version", None)
    return current_version() if version is None else version


def keep_permissions(user) -> None:
    """Django's ModelBackend keeps a user's permissions on the object (``_perm_cache`` …): computed here
    once, every copy carries them, and ``has_perm`` asks no query."""
    user.get_all_permissions()
    for name in ("_user_perm_cache", "_group_perm_cache", "_perm_cache"):
        if hasattr(user, name):
            setattr(user, name, frozenset(getattr(user, name)))


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
        keep_permissions(user)
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
        return self.lookup(key_id)[0]

    def lookup(self, key_id: str) -> tuple[TokenEntry | None, int | None]:
        """The token's entry and the access version it was checked under."""
        version = current_version()
        if version is not None:
            with self.lock:
                if version != self.version:
                    self.version, self.tokens = version, {}
                entry = self.tokens.get(key_id)
            if entry is not None:
                return entry, version
        entry = load_token(key_id)
        with self.lock:
            self.loads += 1
            if entry is not None and version is not None and version == self.version:
                if len(self.tokens) >= self.size:
                    self.tokens = {}
                self.tokens[key_id] = entry
        return entry, version

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


# --- browser sessions ------------------------------------------------------------------------------

DATABASE_SESSIONS = "django.contrib.sessions.backends.db"


def bump_on_session_deleted(sender=None, using=None, **kwargs) -> None:
    """``post_delete`` receiver for ``Session`` rows: a logout (or a key cycled at login) ends at once in
    every process that kept the session."""
    AccessVersion.bump(using)


@dataclass(frozen=True)
class SessionEntry:
    """A logged-in session as the next requests need it; ``user`` is a template (``request_copy``)."""

    expire_date: object
    user: object


class SessionCache:
    """The per-process store of ``SessionEntry``s by session key, valid for one access version (see the
    module's docstring). Only database sessions are kept (the default ``SESSION_ENGINE``); ``loads``
    counts the sessions resolved by Django (tests read it)."""

    def __init__(self, size: int = 4096):
        self.size = size
        self.lock = threading.Lock()
        self.version: int | None = None
        self.sessions: dict[str, SessionEntry] = {}
        self.loads = 0

    def clear(self) -> None:
        with self.lock:
            self.version, self.sessions, self.loads = None, {}, 0

    def user(self, request):
        """The user of the request's session (``AnonymousUser`` without one), as ``auth.get_user``
        answers it."""
        from django.contrib import auth

        key = request.session.session_key  # the cookie's key: reading it loads nothing
        if not key or settings.SESSION_ENGINE != DATABASE_SESSIONS:
            return auth.get_user(request)
        version = current_version()
        now = timezone.now()
        if version is not None:
            with self.lock:
                if version != self.version:
                    self.version, self.sessions = version, {}
                entry = self.sessions.get(key)
            if entry is not None and entry.expire_date > now and entry.user.is_active:
                return request_copy(entry.user, version)
        user = auth.get_user(request)  # the session row, the user, the session's password hash
        with self.lock:
            self.loads += 1
        if not user.is_authenticated or version is None or request.session.session_key != key:
            return user
        entry = self._entry(key, user, now)
        if entry is None:
            return user
        with self.lock:
            if version == self.version:
                if len(self.sessions) >= self.size:
                    self.sessions = {}
                self.sessions[key] = entry
        return request_copy(entry.user, version)

    @staticmethod
    def _entry(key: str, user, now) -> SessionEntry | None:
        from django.contrib.sessions.models import Session

        expire = (
            Session.objects.filter(session_key=key, expire_date__gt=now)
            .values_list("expire_date", flat=True)
            .first()
        )
        template = (
            User.objects.select_related("jurisdiction")
            .defer("jurisdiction__boundary", "jurisdiction__point")
            .filter(pk=user.pk, is_active=True)
            .first()
        )
        if expire is None or template is None or template.password != user.password:
            return None
        keep_permissions(template)
        return SessionEntry(expire_date=expire, user=template)


SESSIONS = SessionCache()
