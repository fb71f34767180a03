"""Core routes in the shared matrix."""

from tests.support.matrix import Route, register
from tests.support.places import SIMING

register(
    Route("GET", "/api/v1/areas", outsider=None, malformed={"query": {"limit": "-1"}}),
    Route(
        "GET",
        "/api/v1/areas/{code}",
        make=lambda: {"code": SIMING},
        malformed={"path": {"code": "35x"}},
    ),
    Route("GET", "/api/v1/me", outsider=None),
    Route(
        "GET",
        "/api/v1/changes",
        outsider=None,
        forbidden="inspector",
        malformed={"query": {"since": "not-a-time"}},
    ),
)
