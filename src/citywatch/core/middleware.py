import errno
import logging
import re
import uuid

from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthentication
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.db import OperationalError
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext

from citywatch.core.changelog import acting_as
from citywatch.core.choices import ChangeSource

# Paths that answer for themselves: the API (401 in its own error body), health and static files.
OPEN_PREFIXES = ("/api/", "/healthz", "/static/", "/i18n/")
# Public data that depends on no user and no session (the basemap's style and tiles): served without
# looking the user up (no database query per tile) and, when it succeeds, without ``Vary: Cookie``.
PUBLIC_DATA_PREFIXES = ("/basemap/", "/public/", "/cap/")

# A request id a client or proxy may send (a UUID, a hex or dotted trace id): it goes into the change log
# and back in a response header, so anything else is replaced by a fresh one. 36 is the column's width.
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,36}")


def request_id_from(header: str) -> str:
    """The client's ``X-Request-ID`` when it is 1–36 characters of ``[A-Za-z0-9._-]``, else a new one."""
    return header if REQUEST_ID_RE.fullmatch(header) else uuid.uuid4().hex


class ActorMiddleware:
    """Every change made while serving a request is logged as made by the request's user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request_id_from(request.headers.get("X-Request-ID", ""))
        if request.path.startswith(PUBLIC_DATA_PREFIXES):  # read-only: nothing to attribute
            response = self.get_response(request)
            response["X-Request-ID"] = request.id
            return response
        source = ChangeSource.API if request.path.startswith("/api/") else ChangeSource.WEB
        user = request.user if request.user.is_authenticated else None
        with acting_as(user, source, request.id):
            response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response


class AuthenticationMiddleware(DjangoAuthentication):
    """Django's, with the session's user kept per process (``core.credentials.SESSIONS``, under the access
    version): a logged-in browser's request reads neither its session row nor its user."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: session_user(request))


def session_user(request):
    if not hasattr(request, "_cached_user"):
        from citywatch.core.credentials import SESSIONS

        request._cached_user = SESSIONS.user(request)
    return request._cached_user


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login unless marked ``login_not_required``; the API does its own auth."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(OPEN_PREFIXES + PUBLIC_DATA_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


def content_security_policy(basemap_url: str = "") -> str:
    """What pages may load: everything from CityWatch itself and nothing inline (no inline scripts,
    styles or event handlers: they live in static files). MapLibre runs its workers from ``blob:`` URLs
    and draws images from ``data:``/``blob:``; the optional raster basemap (CITYWATCH_BASEMAP_URL) may be
    fetched and shown from its own origin."""
    basemap = basemap_origin(basemap_url)
    extra = f" {basemap}" if basemap else ""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: blob:{extra}",
            "font-src 'self'",
            f"connect-src 'self'{extra}",
            "worker-src 'self' blob:",
            "child-src 'self' blob:",
            "frame-src 'none'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# A CSP host source: a host name (optionally ``*.``-prefixed) or a bracketed IPv6 address, with a port.
CSP_HOST_RE = re.compile(r"(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def basemap_origin(url: str) -> str:
    """The origin of a tile URL template as a CSP source: ``https://tile.example.org``; a host written
    with a placeholder (``https://t{s}.example.org/…``) allows that domain's subdomains; a relative URL
    needs nothing beyond 'self', and anything unreadable is allowed nothing."""
    if "://" not in url:
        return ""
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    host = rest.split("/", 1)[0].split("?", 1)[0]
    if "{" in host:
        after = host.rsplit("}", 1)[1]
        host = "*" + after if after.startswith(".") else ""
    if scheme not in ("http", "https") or not CSP_HOST_RE.fullmatch(host):
        return ""
    return f"{scheme}://{host}"


class ContentSecurityPolicyMiddleware:
    """Sends ``Content-Security-Policy`` (``content_security_policy``) with every answer that has none."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._cache: tuple[str, str] | None = None

    def policy(self) -> str:
        from django.conf import settings

        url = settings.BASEMAP_URL
        if self._cache is None or self._cache[0] != url:
            self._cache = (url, content_security_policy(url))
        return self._cache[1]

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy())
        return response


class PasswordChangeRequiredMiddleware:
    """A user whose password someone else chose (``User.must_change_password``: a new account, an
    administrator's change) must choose their own before anything else. Pages redirect to the change page;
    the API answers 403 to their session. Bearer tokens are not affected: an operator issues them to a
    machine (``citywatch token create``), they do not come from the password, and a feed must not stop
    because its account's password is due for a change."""

    OPEN = ("/static/", "/i18n/", "/jsi18n/", "/healthz", *PUBLIC_DATA_PREFIXES)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = None if request.path.startswith(self.OPEN) else getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(self.OPEN)
        ):
            from django.shortcuts import redirect
            from django.urls import reverse
            from django.utils.http import urlencode

            change = reverse("password_change")
            if request.path.startswith("/api/"):
                if "Authorization" not in request.headers:
                    from django.utils.translation import gettext as _

                    from citywatch.core.errors import error_response

                    return error_response(
                        403,
                        _("Choose your own password first (%(url)s).") % {"url": change},
                        code="password_change_required",
                    )
            elif request.path not in (change, reverse("logout")):
                return redirect(f"{change}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class ApiErrorBodyMiddleware:
    """Any failure under /api/ that did not come from the API's own handlers (a 405 from routing, a
    CSRF failure, a request too large, …) is rewritten into the one error body. Every API answer says
    ``Cache-Control: no-store``: it is personal (jurisdiction, role) and may be sensitive, so neither a
    shared proxy nor the browser's disk cache keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self._error_body(request, self.get_response(request))
        if request.path.startswith("/api/"):
            response["Cache-Control"] = "no-store"
        return response

    @staticmethod
    def _error_body(request, response):
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            from citywatch.core.errors import STATUS_CODES, error_response

            status = response.status_code
            message = {
                403: "Forbidden (for a browser session, send the CSRF token).",
                405: "Method not allowed.",
            }.get(status, STATUS_CODES.get(status, "error").replace("_", " ").capitalize() + ".")
            new = error_response(status, message)
            if status == 405 and response.has_header("Allow"):
                new["Allow"] = response["Allow"]
            return new
        return response


class LanguageMiddleware:
    """Simplified Chinese unless the user chose otherwise (the language cookie set by the switcher).

    Django's LocaleMiddleware would follow the browser's Accept-Language; a command centre's screens
    must come up in the bureau's language whatever the browser says.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        language = chosen_language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        if not (request.path.startswith(PUBLIC_DATA_PREFIXES) and response.status_code < 400):
            patch_vary_headers(response, ("Cookie",))
        return response


class RejectNulMiddleware:
    """A NUL character in the path, the query string or a form field is refused with 400.

    PostgreSQL text cannot hold NUL, so such a value would otherwise fail deep in a query; no legitimate
    client sends one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            if request.path.startswith("/api/"):
                from citywatch.core.errors import error_response

                return error_response(400, "The request contains a NUL character.")
            from django.http import HttpResponseBadRequest

            return HttpResponseBadRequest("The request contains a NUL character.")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return True
        if "\x00" in request.headers.get("Authorization", ""):
            return True
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            try:
                return any("\x00" in v for values in request.POST.lists() for v in values[1])
            except Exception:  # noqa: BLE001 - a malformed body is for the view to refuse
                return False
        return False


# --- Refusals before or instead of a view: bodies too large, no room on disk, database busy ---------

# Seconds a client is asked to wait before retrying a write refused because the database was busy.
RETRY_AFTER_SECONDS = 5
log = logging.getLogger(__name__)


def chosen_language(cookie: str | None) -> str:
    """The user's language: the switcher's cookie if it names a supported language, else the default."""
    from django.conf import settings

    supported = {code for code, _ in settings.LANGUAGES}
    return cookie if cookie in supported else settings.LANGUAGE_CODE


def refusal(path: str, status: int, code: str, message: str, language: str | None = None) -> HttpResponse:
    """The answer to a request refused before (or instead of) its view: under /api/ the API's error body,
    elsewhere a plain translated page that needs neither the database nor a session."""
    from django.template.loader import render_to_string

    from citywatch.core.errors import error_response

    with translation.override(language or translation.get_language()):
        if path.startswith("/api/"):
            return error_response(status, str(message), code=code)
        titles = {
            413: gettext("Request too large"),
            503: gettext("Busy: try again shortly"),
            507: gettext("No room to store the upload"),
        }
        page = render_to_string(
            "refused.html",
            {"status": status, "title": titles.get(status, status), "message": message},
        )
    return HttpResponse(page, status=status)


def too_large(path: str, content_type: str, language: str | None = None) -> HttpResponse:
    from citywatch.core.limits import body_too_large_message

    with translation.override(language or translation.get_language()):
        return refusal(path, 413, "too_large", body_too_large_message(content_type), language)


def is_out_of_space(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def insufficient_storage(path: str, language: str | None = None) -> HttpResponse:
    """507 Insufficient Storage (RFC 4918 §11.5): the server cannot store what the request carries. Not a
    4xx (the request is fine) nor a 500 (nothing is broken, a disk is full); logged for the operator."""
    log.error("no space left to store the body of a request to %s (temporary directory full?)", path)
    with translation.override(language or translation.get_language()):
        message = gettext(
            "The server has no room to store this upload right now. Try again later, or tell the "
            "administrator that the disk holding temporary files is full."
        )
        return refusal(path, 507, "insufficient_storage", message, language)


def is_database_busy(exc: BaseException) -> bool:
    """A write that gave up waiting for another writer's lock: SQLite's "database is locked" after the busy
    timeout, or PostgreSQL's lock_not_available (55P03) when a lock timeout is set."""
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc)
    return (
        "database is locked" in text
        or "database table is locked" in text
        or getattr(exc.__cause__, "sqlstate", None) == "55P03"
    )


def database_busy(path: str) -> HttpResponse:
    """503 with Retry-After: the database stayed busy with another write for the whole busy timeout."""
    log.warning("database busy: a write to %s waited out the lock timeout", path)
    message = gettext(
        "The database is busy with another change (such as a large import). Nothing was saved; "
        "try again in a few seconds."
    )
    response = refusal(path, 503, "database_busy", message)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class RequestLimitMiddleware:
    """A body over its limit (``core.limits.body_limit``: uploads have their own, larger one) answers 413
    before any view sees it; the body is parsed here, so that a body Django refuses while reading it
    (too many or too large form fields) answers 413 too and an upload the server has no room to store
    answers 507, never 500. Under ASGI the middleware in asgi.py refuses an oversized body earlier still,
    before a byte of it is read; this one covers every server (and the test client)."""

    BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
    FORMS = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
        from django.http.multipartparser import MultiPartParserError

        from citywatch.core.limits import body_limit

        language = chosen_language(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        content_type = request.META.get("CONTENT_TYPE", "")
        limit = body_limit(content_type)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return too_large(request.path, content_type, language)
        if length and request.method in self.BODY_METHODS:
            try:
                if request.content_type in self.FORMS:
                    request.POST  # noqa: B018 - parsed now, so that its failures are answered here
                    request.FILES  # noqa: B018
                else:
                    request.body  # noqa: B018
            except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
                return too_large(request.path, content_type, language)
            except MultiPartParserError:
                pass  # a malformed form: the view finds no data and says what is missing
            except OSError as exc:
                if is_out_of_space(exc):
                    return insufficient_storage(request.path, language)
                raise
        return self.get_response(request)


class DatabaseBusyMiddleware:
    """A page whose write waited out the database's busy timeout answers 503 with Retry-After and a
    translated page, not 500 (the API does the same in its own exception handler)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_busy(exception):
            return database_busy(request.path)
        return None


class BodyLimitASGIMiddleware:
    """ASGI middleware around the Django application: a request body over its limit is refused with 413
    before a byte of it is read (declared ``Content-Length``) or as soon as the streamed bytes pass it
    (chunked bodies, which are held in memory up to the limit and only then handed to Django), so a
    refused body is never written to disk — Django's own ASGI handler spools every body to a temporary
    file before any middleware runs. A temporary directory that fills up while Django spools an
    accepted body answers 507 instead of 500."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        from citywatch.core.limits import body_limit

        headers = {}
        for name, value in scope.get("headers", ()):
            headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        content_type = headers.get("content-type", "")
        limit = body_limit(content_type)
        declared = headers.get("content-length")

        def refuse():
            return self._send(send, too_large(scope["path"], content_type, self._language(headers)))

        app_receive = receive
        if declared is not None:
            if declared.strip().isdigit() and int(declared) > limit:
                return await refuse()
        else:
            messages = []
            received = 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return None  # the client went away
                received += len(message.get("body", b""))
                if received > limit:
                    return await refuse()
                messages.append(message)
                if not message.get("more_body", False):
                    break

            async def app_receive():
                return messages.pop(0) if messages else await receive()

        started = False

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, app_receive, tracking_send)
        except OSError as exc:
            if started or not is_out_of_space(exc):
                raise
            await self._send(send, insufficient_storage(scope["path"], self._language(headers)))

    @staticmethod
    def _language(headers: dict) -> str:
        from django.conf import settings
        from django.http import parse_cookie

        return chosen_language(parse_cookie(headers.get("cookie", "")).get(settings.LANGUAGE_COOKIE_NAME))

    @staticmethod
    async def _send(send, response: HttpResponse) -> None:
        # The rest of a refused body is never read, so the connection is not kept for another request.
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.items()]
        headers += [(b"content-length", b"%d" % len(response.content)), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": response.content})
