"""Resources routes in the shared matrix: the records of every kind, import and export, the stock
ledger, shelter occupancy, grassroots coverage and the nearby analysis."""

from tests.support.builders import record_in
from tests.support.matrix import Route, exchange_routes, register

# Kinds whose records every persona may view; the team leader may not view the others.
SEEN_BY_ALL = ("rescue-teams", "depots", "medical-facilities", "shelters", "facilities")
LOCATED = ("rescue-teams", "depots", "medical-facilities", "shelters", "experts", "facilities", "duty-people")
KINDS = (*LOCATED, "supply-items")


def _record(slug):
    return lambda: {"pk": record_in(slug).pk}


def _change(slug):
    return {"notes": "矩阵测试"} if slug in LOCATED else {"name": "矩阵测试"}


for slug in KINDS:
    base = f"/api/v1/resources/{slug}"
    # A catalogue (supply items) lies in no area: everyone in the city sees the same entries.
    outsider = "huli_officer" if slug in LOCATED else None
    viewer_only = "team_leader" if slug not in SEEN_BY_ALL else None
    register(
        Route(
            "GET",
            f"{base}/",
            outsider=None,
            forbidden=viewer_only,
            malformed={"query": {"bbox": "1,2"} if slug in LOCATED else {"limit": "-1"}},
        ),
        Route(
            "POST",
            f"{base}/",
            body={"name": "矩阵测试"},
            outsider=None,
            forbidden="inspector",
            malformed={"body": {"name": "矩阵测试", "colour": "red"}},
        ),
        Route(
            "GET", f"{base}/{{pk}}", make=_record(slug), outsider=outsider, malformed={"path": {"pk": "x"}}
        ),
        Route(
            "PATCH",
            f"{base}/{{pk}}",
            make=_record(slug),
            body=_change(slug),
            outsider=outsider,
            # A team leader sees every team but changes only the one they lead (the demo's leads none
            # of the teams made here): issue 10, finding 5.
            forbidden="team_leader" if slug == "rescue-teams" else "inspector",
            malformed={"body": {"members": "many"} if slug in LOCATED else {"unit": ["a"]}},
        ),
        Route(
            "DELETE",
            f"{base}/{{pk}}",
            make=_record(slug),
            outsider=outsider,
            forbidden="inspector",
            malformed={"path": {"pk": "x"}},
        ),
        *exchange_routes(base, viewer_only=viewer_only),
    )


def _depot():
    return record_in("depots")


def _movement(params):
    return {"depot": params["pk"], "item": "TENT", "kind": "receipt", "quantity": "1"}


register(
    Route(
        "GET",
        "/api/v1/resources/stock-movements/",
        outsider=None,
        forbidden="inspector",
        malformed={"query": {"kind": "theft"}},
    ),
    Route(
        "POST",
        "/api/v1/resources/stock-movements/",
        make=lambda: {"pk": _depot().pk},
        body=_movement,
        outsider="huli_officer",
        forbidden="inspector",
        malformed={"body": {"depot": "x", "item": "TENT", "kind": "receipt", "quantity": "1"}},
        note="the depot is named in the body, not the path",
    ),
    Route(
        "GET",
        "/api/v1/resources/depots/{pk}/stock",
        make=lambda: {"pk": _depot().pk},
        forbidden="team_leader",
        malformed={"path": {"pk": "x"}},
    ),
    Route(
        "POST",
        "/api/v1/resources/shelters/{pk}/occupancy",
        make=_record("shelters"),
        body={"occupancy": 1},
        forbidden="inspector",
        malformed={"body": {"occupancy": -1}},
    ),
    Route(
        "GET",
        "/api/v1/resources/shelters/{pk}/occupancy",
        make=_record("shelters"),
        malformed={"path": {"pk": "x"}},
    ),
    Route(
        "GET",
        "/api/v1/coverage",
        outsider=None,
        forbidden="team_leader",
        malformed={"query": {"level": "planet"}},
    ),
    Route(
        "GET",
        "/api/v1/nearby",
        outsider=None,
        malformed={"query": {"lon": "-180", "lat": "-90", "crs": "bd09"}},
        note="BD-09 at the corner of the range converts to no longitude/latitude: 422",
    ),
)

register(
    Route(
        "GET",
        "/api/v1/places",
        body={"q": "集美"},
        outsider=None,
        malformed={"query": {"q": "", "limit": "many"}},
        note="every role may look a place up; each sees the places of their jurisdiction",
    ),
)
