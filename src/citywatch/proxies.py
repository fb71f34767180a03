"""Which forwarded headers CityWatch believes: only those added by the reverse proxies named in
``CITYWATCH_TRUSTED_PROXIES`` (addresses or networks; default none).

A client can write any ``X-Forwarded-For`` it likes. Believed from anyone, it lets a client choose the
address the login lock-out counts against (a locked user logs in at once with a made-up address); ignored
behind a proxy, every client has the proxy's address (anyone can lock everyone out). So the address of
a request is found in one way everywhere:

* the application: ``client_address(request)`` (django-axes' ``AXES_CLIENT_IP_CALLABLE``) walks
  ``X-Forwarded-For`` from the right, past trusted proxies, and stops at the first address it does not
  trust; with no trusted proxies it is the connection's peer;
* the server: uvicorn must rewrite the peer address under the same rule (by default it believes
  ``X-Forwarded-For`` from 127.0.0.1, whatever the application thinks). ``uvicorn_options()`` (keyword
  arguments of ``uvicorn.Config``/``uvicorn.run``) and ``uvicorn_args()`` (its command-line options) give
  the proxy settings that match; every command that starts the server uses one of them.

Both rules give the same address when both run (uvicorn first, then the application sees an untrusted
peer and stops there).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def trusted_proxies() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return list(getattr(settings, "TRUSTED_PROXIES", []))


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from a forwarded entry: ``1.2.3.4``, ``1.2.3.4:5678``, ``::1`` or ``[::1]:5678``."""
    value = value.strip()
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4-mapped IPv6 address is the IPv4 address (as the kernel reports dual-stack peers).
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def is_trusted(address, proxies=None) -> bool:
    proxies = trusted_proxies() if proxies is None else proxies
    parsed = address if not isinstance(address, str) else _address(address)
    return parsed is not None and any(parsed in network for network in proxies)


def client_address(request) -> str:
    """The address a request comes from, believing ``X-Forwarded-For`` only as far as trusted proxies
    wrote it (each proxy appends the address it received the request from)."""
    peer = request.META.get("REMOTE_ADDR", "") or ""
    proxies = trusted_proxies()
    if not proxies:
        return peer
    candidate = _address(peer)
    if candidate is None:
        return peer
    forwarded = request.headers.get("X-Forwarded-For", "")
    for entry in reversed(forwarded.split(",") if forwarded else []):
        if not is_trusted(candidate, proxies):
            break
        previous = _address(entry)
        if previous is None:
            break  # a trusted proxy passed on garbage: keep the proxy's own address
        candidate = previous
    return str(candidate)


def uvicorn_options() -> dict:
    """Keyword arguments for ``uvicorn.Config`` / ``uvicorn.run``: proxy headers off without trusted
    proxies, else believed only from them."""
    proxies = trusted_proxies()
    if not proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": [str(network) for network in proxies]}


def uvicorn_args() -> list[str]:
    """The same as command-line options of ``uvicorn``."""
    options = uvicorn_options()
    if not options["proxy_headers"]:
        return ["--no-proxy-headers"]
    return ["--proxy-headers", "--forwarded-allow-ips", ",".join(options["forwarded_allow_ips"])]
