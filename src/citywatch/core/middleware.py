import re
import uuid

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.utils.cache import patch_vary_headers

from citywatch.core.changelog import acting_as
from citywatch.core.choices import ChangeSource

# Paths that answer for themselves: the API (401 in its own error body), health and static files.
OPEN_PREFIXES = ("/api/", "/healthz", "/static/", "/i18n/")

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
        source = ChangeSource.API if request.path.startswith("/api/") else ChangeSource.WEB
        user = request.user if request.user.is_authenticated else None
        with acting_as(user, source, request.id):
            response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login unless marked ``login_not_required``; the API does its own auth."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(OPEN_PREFIXES):
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

    OPEN = ("/static/", "/i18n/", "/jsi18n/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
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

                    from citywatch.api import error_response

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
            from citywatch.api import STATUS_CODES, error_response

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

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
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
                from citywatch.api import error_response

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
