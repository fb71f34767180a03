"""Fetching feeds and alerts over HTTP(S) with conditional GET, bounded, for the worker.

`fetch` sends If-None-Match / If-Modified-Since from the validators kept from the last fetch and
answers `not_modified` on 304; otherwise it reads at most `max_bytes` (refusing a larger body, whether
Content-Length announces it or the body just keeps coming), asks for an uncompressed body and refuses a
compressed one, follows at most `max_redirects` redirects, and fetches only http(s) URLs whose host
resolves to public addresses (unless `allow_private_addresses`, for a feed on the bureau's own
network or a test server). The address check resolves the name separately from the connection, so it
stops a feed from pointing the worker at internal services by accident or by a plain link, not an
attacker who controls DNS (rebinding); run the worker where it cannot reach what it must not.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from citywatch.warnings.cap.problems import FetchFailed, problem
from citywatch.warnings.cap.safexml import DEFAULT_MAX_BYTES

DEFAULT_TIMEOUT = 15.0
DEFAULT_MAX_REDIRECTS = 5
USER_AGENT = "CityWatch-CAP/1.0"
ACCEPT = "application/cap+xml, application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.1"


@dataclass(frozen=True)
class FetchResult:
    url: str  # after redirects
    status: int  # 200, or 304 when not modified
    body: bytes | None  # None when not modified
    etag: str | None  # keep these for the next conditional GET
    last_modified: str | None
    content_type: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def conditional_headers(*, etag: str | None = None, last_modified: str | None = None) -> dict[str, str]:
    """The request headers of a conditional GET (RFC 9110 §13.1), from the last response's validators."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def check_url(url: str, *, allow_private_addresses: bool = False) -> None:
    """Raise FetchFailed unless `url` is http(s) and (by default) its host resolves to public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchFailed([problem("fetch-scheme", value=url)])
    if allow_private_addresses:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError):
        raise FetchFailed([problem("fetch-host", host=parts.hostname)]) from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise FetchFailed([problem("fetch-address", host=parts.hostname, address=str(address))])


class _Redirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, max_redirects: int, allow_private_addresses: bool):
        super().__init__()
        self.max_redirections = max_redirects
        self.allow_private_addresses = allow_private_addresses

    def http_error_302(self, req, fp, code, msg, headers):
        location = headers.get("Location") or headers.get("URI")
        if location:  # checked here, before urllib's own (narrower) scheme check
            check_url(urljoin(req.full_url, location), allow_private_addresses=self.allow_private_addresses)
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    allow_private_addresses: bool = False,
) -> FetchResult:
    """GET `url` (see the module notes); raises FetchFailed with the reason."""
    check_url(url, allow_private_addresses=allow_private_addresses)
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "identity"}
    headers.update(conditional_headers(etag=etag, last_modified=last_modified))
    request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310 (scheme checked above)
    opener = urllib.request.build_opener(_Redirects(max_redirects, allow_private_addresses))
    try:
        with opener.open(request, timeout=timeout) as response:
            final_url = response.geturl()
            encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
            if encoding != "identity":
                raise FetchFailed([problem("fetch-encoding", encoding=encoding)])
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchFailed([problem("fetch-size", url=final_url, limit=max_bytes)])
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise FetchFailed([problem("fetch-size", url=final_url, limit=max_bytes)])
            return FetchResult(
                url=final_url,
                status=response.status,
                body=body,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                content_type=response.headers.get("Content-Type"),
            )
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return FetchResult(
                url=exc.geturl() or url,
                status=304,
                body=None,
                etag=exc.headers.get("ETag") or etag,
                last_modified=exc.headers.get("Last-Modified") or last_modified,
                content_type=None,
            )
        raise FetchFailed([problem("fetch-status", status=exc.code, url=url)]) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, FetchFailed):
            raise reason from None
        raise FetchFailed([problem("fetch-failed", url=url, detail=str(reason))]) from None
    except (TimeoutError, OSError) as exc:
        raise FetchFailed([problem("fetch-failed", url=url, detail=str(exc) or type(exc).__name__)]) from None
