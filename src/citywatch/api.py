"""The HTTP API: django-ninja under /api/v1/, OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Browsers use their session (with CSRF on unsafe methods); machines send ``Authorization: Bearer <token>``
(``citywatch token create USERNAME``). Every failure answers one body:
``{"error": {"code": ..., "message": ..., "details": ...}}``.
"""

from __future__ import annotations

import functools
import hmac
import logging

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import OperationalError
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from citywatch.core.changelog import set_actor_user
from citywatch.core.errors import ActionError, Unavailable, error_response, json_safe
from citywatch.core.middleware import database_busy, is_database_busy

log = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    """``Authorization: Bearer cw_<key id>_<secret>``; the secret is compared against its stored hash.
    The token, its user, their jurisdiction and permissions are kept per process under the access
    version (``core.credentials``): a revocation or a change of role takes effect at the next request."""

    def authenticate(self, request, token):
        from citywatch.core.credentials import CREDENTIALS
        from citywatch.core.models.users import TOKEN_PREFIX, hash_secret

        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
            return None
        entry, version = CREDENTIALS.lookup(parts[1][:16])
        if entry is None or not hmac.compare_digest(entry.secret_hash, hash_secret(parts[2])):
            return None
        now = timezone.now()
        if not entry.usable(now):
            return None
        CREDENTIALS.touch(entry, now)
        user = entry.request_user(version)
        request.user = user
        set_actor_user(user)
        return user


class Session(SessionAuth):
    """The browser's session, with Django's CSRF check on unsafe methods. The check runs only for a
    logged-in session: a caller without one (anonymous, or whose bearer token was refused) is told to
    authenticate (401), not that a CSRF token is missing (403)."""

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if getattr(user, "must_change_password", False):
            return None  # PasswordChangeRequiredMiddleware explains; this is the backstop
        return super().__call__(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


def docs_access(view):
    """The OpenAPI document answers a browser session or a bearer token (code generators and API testers
    use tokens); the interactive docs page needs a login. Anything else: 401 with the error body."""
    page = login_required(view)

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.path.endswith("/openapi.json"):
            return page(request, *args, **kwargs)
        if request.user.is_authenticated and request.user.is_active:
            return view(request, *args, **kwargs)
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and BearerToken().authenticate(request, token.strip()) is not None:
            return view(request, *args, **kwargs)
        return error_response(401, "Log in, or send 'Authorization: Bearer <token>'.")

    return wrapped


api = NinjaAPI(
    title="CityWatch API",
    version="1",
    description="Open software for a city's emergency management bureau. Every list is restricted to the "
    'caller\'s jurisdiction; every failure answers {"error": {"code", "message", "details"}}.',
    urls_namespace="api",
    auth=[BearerToken(), Session(csrf=True)],
    docs_decorator=docs_access,
)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    return error_response(422, "The request is not valid.", details=json_safe(exc.errors))


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, exc):
    return error_response(401, "Log in, or send 'Authorization: Bearer <token>'.")


@api.exception_handler(AuthorizationError)
def on_authorization_error(request, exc):
    return error_response(403, "You may not do this.")


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    return error_response(exc.status_code, str(exc))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error_response(404, "Not found (or outside your jurisdiction).")


@api.exception_handler(ObjectDoesNotExist)
def on_does_not_exist(request, exc):
    return error_response(404, "Not found (or outside your jurisdiction).")


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return error_response(403, str(exc) or "You may not do this.")


@api.exception_handler(ActionError)
def on_action_error(request, exc):
    response = error_response(exc.status, str(exc), code=exc.code, details=exc.details)
    if isinstance(exc, Unavailable):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(OperationalError)
def on_operational_error(request, exc):
    """A write that waited out the database's busy timeout: 503 with Retry-After, never 500."""
    if is_database_busy(exc):
        return database_busy(request.path)
    return on_unexpected(request, exc)


@api.exception_handler(Exception)
def on_unexpected(request, exc):
    log.exception("unhandled API error on %s %s", request.method, request.path)
    return error_response(500, "Internal error; it has been logged.", code="server_error")


def register_routers():
    from citywatch.core.api import router as core_router
    from citywatch.geo.api import router as geo_router
    from citywatch.incidents.api import router as incidents_router
    from citywatch.monitoring.api import router as monitoring_router
    from citywatch.notify.api import router as notify_router
    from citywatch.resources.api import router as resources_router
    from citywatch.response.api import router as response_router
    from citywatch.warnings.api import router as warnings_router

    api.add_router("", core_router)
    api.add_router("", geo_router)
    api.add_router("", resources_router)
    api.add_router("", incidents_router)
    api.add_router("", notify_router)
    api.add_router("", monitoring_router)
    api.add_router("", warnings_router)
    api.add_router("", response_router)


register_routers()
