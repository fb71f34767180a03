"""The shared route matrix (NetBox's ``ViewTestCases`` idea): every API route of every app passes the same
four checks, and a route that is not registered here fails the suite.

An app registers its routes in ``tests/support/routes/<app>.py`` with ``register(Route(...))``. For each
route the matrix asks:

- **anonymous** → 401 with the error body (unless the route is ``public``);
- **outsider** — a persona whose jurisdiction does not hold the object (by default the Huli district
  officer, for objects made in Siming) → 404: the object is not told apart from one that does not exist;
- **forbidden** — a persona who can see the object (or the list) but whose role may not do this → 403;
- **malformed** — a query string or a body that cannot be read → a 4xx with the error body, never 500.

``make()`` builds what the route needs (in 思明区) and returns the values of the path's placeholders;
``body`` is a *valid* body for writes — and a valid query string for reads that require one — (a
function of those values, or a dict), so that the 403 and 404 checks are not masked by a 422. Nothing a
check sends may change anything: each runs in the test's transaction and asserts the refusal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

OUTSIDER = "huli_officer"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the OpenAPI template, e.g. "/api/v1/incidents/{pk}"
    make: Callable[[], dict] | None = None
    body: dict | Callable[[dict], dict] | None = None
    outsider: str | None = OUTSIDER  # None: the route names no object (a list, a catalogue, the caller)
    forbidden: str | None = None  # a persona whose role may not do this (None: every role may)
    malformed: dict | None = None  # {"query": {...}} or {"body": ...} or {"path": {...}}
    public: bool = False
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.method.upper(), self.path)

    def params(self) -> dict:
        return self.make() if self.make else {}

    def url(self, params: dict) -> str:
        return self.path.format(**params)

    def valid_body(self, params: dict):
        return self.body(params) if callable(self.body) else self.body


ROUTES: dict[tuple[str, str], Route] = {}


def upload(name: str, content: bytes):
    """A multipart body (a function of the placeholders' values, so each request gets a fresh file):
    the file ``name`` holding ``content``, checked only (``dry_run``)."""

    def body(params):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return {"file": SimpleUploadedFile(name, content), "dry_run": "true"}

    return body


def exchange_routes(base: str, *, viewer_only: str | None = None) -> tuple[Route, Route]:
    """A registry's ``base/import`` (a file of a wrong type is malformed; the inspector may not import)
    and ``base/export`` (an unknown format is malformed; ``viewer_only``: a persona who may not view)."""
    return (
        Route(
            "POST",
            f"{base}/import",
            body=upload("records.csv", b"name\n"),
            outsider=None,
            forbidden="inspector",
            malformed={"body": upload("records.txt", b"name\n")},
            extra={"multipart": True},
        ),
        Route(
            "GET",
            f"{base}/export",
            outsider=None,
            forbidden=viewer_only,
            malformed={"query": {"format": "pdf"}},
        ),
    )


def register(*routes: Route) -> None:
    for route in routes:
        if route.key in ROUTES:
            raise ValueError(f"{route.key} is registered twice")
        ROUTES[route.key] = route


def load_all() -> dict[tuple[str, str], Route]:
    """Every app's registrations (``tests/support/routes/*.py``)."""
    import importlib
    import pkgutil

    import tests.support.routes as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    return ROUTES


def send(client, route: Route, params: dict, *, body=None, query=None):
    """Send ``route`` with ``client``: writes carry ``body`` as JSON (a str is sent as it is), or as a
    multipart form when the route says ``extra={"multipart": True}`` (a body that is a function of the
    placeholders' values is called, so that each request gets fresh file objects); reads send ``query``,
    else ``body`` as their query string."""
    method = route.method.lower()
    url = route.url(params)
    if callable(body):
        body = body(params)
    if method in ("get", "delete"):
        return getattr(client, method)(url, query if query is not None else body or {})
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    if route.extra.get("multipart"):
        return getattr(client, method)(url, body or {})  # a dict holding files: multipart/form-data
    payload = body if isinstance(body, str | bytes) else json.dumps(body if body is not None else {})
    return getattr(client, method)(url, payload, content_type="application/json")
