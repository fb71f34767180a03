"""The duty screen's panel registry: apps put their own panels on ``/duty/`` without touching incidents.

An app registers a ``Panel`` once, in its ``AppConfig.ready()``::

    from citywatch.core import panels

    panels.register(
        panels.Panel(
            name="monitoring.alarms",             # unique; the section's id is "panel-monitoring-alarms"
            template="monitoring/panels/alarms.html",
            context=alarms_panel,                 # f(request) -> dict, or None to leave the panel out
            order=10,                             # smaller first; the incident sections come before
            live=("alarm.*",),                    # outbox kinds (live.js patterns) that refresh it
            permission="monitoring.view_alarm",   # shown only to users holding it (None: everyone)
        )
    )

The duty screen renders every panel the user may see, in ``order`` (then name), each in a
``<section class="duty-panel">`` whose content is the panel's template rendered with the context function's
dict (plus ``panel``, ``request`` and the usual context processors). The context function reads through the
app's restricted queries (the user is ``request.user``), so a panel shows only the user's jurisdiction;
returning ``None`` hides the panel for this request (nothing of the kind in the user's reach, say).

A panel with ``live`` kinds is kept current by ``static/citywatch/js/panels.js``: it subscribes to those
kinds through ``citywatchLive`` (one EventSource for the page) and, on a message, fetches the panel again
from ``/duty/panels/<name>/`` (``fragment_url``; the same template and context, so server and browser never
disagree on how a panel looks) and replaces the section's content. After each refresh the section receives
a ``citywatch:panel`` DOM event, for a panel's own script (``script``: a static path loaded once per page)
to hook into (``stylesheet`` likewise is linked once in the page's head). Templates stay free of
inline scripts (the Content-Security-Policy forbids them).

Registering a name again replaces the earlier panel (so a test can swap one in and ``unregister`` it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

ContextFunction = Callable[[HttpRequest], "dict | None"]


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: ContextFunction
    order: int = 100
    live: tuple[str, ...] = ()
    permission: str | None = None
    script: str | None = None  # a static path (``monitoring/js/alarms-panel.js``), loaded once
    stylesheet: str | None = None  # a static path (``monitoring/css/monitoring.css``), linked once
    wide: bool = False  # spans the screen's grid (its full width; from 1600px the three incident columns)
    extra: dict = field(default_factory=dict, compare=False)  # free for the owning app

    @property
    def element_id(self) -> str:
        return "panel-" + self.name.replace(".", "-").replace("_", "-")

    @property
    def fragment_url(self) -> str:
        return reverse("duty_panel", kwargs={"name": self.name})

    def visible_to(self, user) -> bool:
        return self.permission is None or bool(user.is_authenticated and user.has_perm(self.permission))


@dataclass(frozen=True)
class RenderedPanel:
    panel: Panel
    html: SafeString

    @property
    def live_kinds(self) -> str:
        return ",".join(self.panel.live)


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> Panel:
    """Add (or replace) a panel of the duty screen. Call it from ``AppConfig.ready()``."""
    if not panel.name or "/" in panel.name:
        raise ValueError(f"bad panel name {panel.name!r}")
    _PANELS[panel.name] = panel
    return panel


def unregister(name: str) -> None:
    _PANELS.pop(name, None)


def registered() -> list[Panel]:
    """Every registered panel, in display order."""
    return sorted(_PANELS.values(), key=lambda p: (p.order, p.name))


def get(name: str) -> Panel | None:
    return _PANELS.get(name)


def render(panel: Panel, request: HttpRequest) -> RenderedPanel | None:
    """One panel for this request, or None when the user may not see it or its context says so."""
    if not panel.visible_to(request.user):
        return None
    context = panel.context(request)
    if context is None:
        return None
    html = render_to_string(panel.template, {**context, "panel": panel}, request=request)
    return RenderedPanel(panel, html)


def render_all(request: HttpRequest) -> list[RenderedPanel]:
    """The panels this request's user sees, rendered, in display order."""
    return [r for r in (render(p, request) for p in registered()) if r is not None]


def scripts(rendered: list[RenderedPanel]) -> list[str]:
    """The panels' own scripts, each once, in display order."""
    return list(dict.fromkeys(r.panel.script for r in rendered if r.panel.script))


def stylesheets(rendered: list[RenderedPanel]) -> list[str]:
    """The panels' own stylesheets, each once, in display order."""
    return list(dict.fromkeys(r.panel.stylesheet for r in rendered if r.panel.stylesheet))
