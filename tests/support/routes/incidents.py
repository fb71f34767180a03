"""Incident command routes in the shared matrix: every record is made in 思明区 through the actions, so the
Huli district officer is the outsider (404); inspectors see everything and change nothing (403); team
leaders see dispatch orders but read no incident, move only the orders assigned to them (403 by their row
rule) and may not list incidents, the roster or the duty screen (403)."""

from __future__ import annotations

import datetime

from tests.support.builders import depot_with, expert_in, new_incident, team_in
from tests.support.matrix import Route, register
from tests.support.places import SIMING, place

INCIDENT = "/api/v1/incidents/{pk}"
FAR = datetime.datetime(2031, 3, 1, 8, tzinfo=datetime.UTC)  # away from the demo roster


def user(username: str):
    from citywatch.core.models import User

    return User.objects.get(username=username)


def incident(**extra) -> dict:
    return {"pk": new_incident(**extra).pk}


def verified_incident():
    from citywatch.incidents import actions

    return actions.transition(new_incident(), "verify", user("duty_officer"))


def verified() -> dict:
    return {"pk": verified_incident().pk}


def with_dispatch() -> dict:
    """A dispatch assigned to no team leader (so the team leader may see it, not answer it)."""
    from citywatch.incidents import actions

    made = new_incident()
    dispatch = actions.request_dispatch(made, team_in(SIMING).pk, user("duty_officer"))
    return {"pk": made.pk, "did": dispatch.pk}


def with_summons() -> dict:
    from citywatch.incidents import actions

    made = new_incident()
    summons = actions.summon_expert(made, expert_in(SIMING).pk, user("duty_officer"))
    return {"pk": made.pk, "sid": summons.pk}


def with_depot() -> dict:
    depot, item = depot_with(100)
    return {**incident(), "depot": depot.pk, "item": item.code}


def with_supply_request() -> dict:
    from citywatch.incidents import actions

    made, (depot, item) = new_incident(), depot_with(100)
    request = actions.request_supply(made, user("duty_officer"), depot.pk, item.code, 10)
    return {"pk": made.pk, "sid": request.pk}


def with_participant() -> dict:
    from citywatch.incidents import actions

    made = new_incident()
    participant = actions.add_participant(made, user("duty_officer"), user("siming_officer"), "liaison")
    return {"pk": made.pk, "ppk": participant.pk}


def with_task() -> dict:
    from citywatch.incidents import actions

    made = new_incident()
    task = actions.create_task(made, user("duty_officer"), "疏散群众")
    return {"pk": made.pk, "tid": task.pk}


def with_post() -> dict:
    from citywatch.incidents import actions

    made = verified_incident()
    lon, lat = place(SIMING)
    actions.establish_post(made, user("duty_officer"), lon=lon, lat=lat)
    return {"pk": made.pk}


def with_sitrep() -> dict:
    from citywatch.incidents import actions

    made = new_incident()
    sitrep = actions.generate_sitrep(made, user("duty_officer"))
    return {"pk": made.pk, "n": sitrep.number}


def with_shift() -> dict:
    from citywatch.core.models import AdminArea
    from citywatch.incidents import actions

    officer = user("siming_officer")
    shift = actions.create_shift(
        officer,
        area=AdminArea.objects.get(code=SIMING),
        start=FAR,
        end=FAR + datetime.timedelta(hours=12),
        duty_officer=officer,
    )
    return {"pk": shift.pk}


def incident_body(_params=None) -> dict:
    lon, lat = place(SIMING)
    return {"title": "矩阵测试", "category": "natural_disaster", "type": "flood", "lon": lon, "lat": lat}


def post_body(_params=None) -> dict:
    lon, lat = place(SIMING)
    return {"lon": lon, "lat": lat}


def shift_body(_params=None) -> dict:
    start = FAR + datetime.timedelta(days=1)
    return {
        "area": SIMING,
        "start": start.isoformat(),
        "end": (start + datetime.timedelta(hours=12)).isoformat(),
        "duty_officer": "siming_officer",
    }


NOT_JSON = {"body": "{"}

register(
    # Incidents and their lifecycle.
    Route(
        "GET",
        "/api/v1/incidents/",
        outsider=None,
        forbidden="team_leader",
        malformed={"query": {"status": "burning"}},
    ),
    Route(
        "POST",
        "/api/v1/incidents/",
        body=incident_body,
        outsider=None,
        forbidden="inspector",
        malformed={"body": {"title": "矩阵测试", "lon": "east", "lat": 24.4}},
    ),
    Route("GET", "/api/v1/incidents/overdue-reports", outsider=None, forbidden="team_leader"),
    Route("GET", INCIDENT, make=incident, malformed={"path": {"pk": "abc"}}),
    Route(
        "PATCH",
        INCIDENT,
        make=incident,
        body={"title": "改名"},
        forbidden="inspector",
        malformed={"body": {"deaths": -1}},
    ),
    Route(
        "POST",
        INCIDENT + "/transitions",
        make=incident,
        body={"action": "verify"},
        forbidden="inspector",
        malformed={"body": {"action": "fly"}},
    ),
    Route(
        "POST",
        INCIDENT + "/reports",
        make=verified,
        body={"report": "first"},
        forbidden="inspector",
        malformed={"body": {"report": "third"}},
    ),
    Route("GET", INCIDENT + "/nearby", make=incident, malformed={"query": {"kinds": "ufo"}}),
    Route("GET", INCIDENT + "/reach", make=incident, malformed={"query": {"minutes": "0"}}),
    Route(
        "GET",
        "/api/v1/incidents/locate",
        body={"lon": 118.09, "lat": 24.47},
        outsider=None,
        forbidden="inspector",
        malformed={"query": {"lon": "east", "lat": "24"}},
    ),
    # Command posts.
    Route(
        "GET",
        "/api/v1/incidents/command-posts",
        outsider=None,
        malformed={"query": {"format": "kml"}},
    ),
    Route("GET", INCIDENT + "/command-post", make=with_post, malformed={"path": {"pk": "abc"}}),
    Route(
        "POST",
        INCIDENT + "/command-post",
        make=verified,
        body=post_body,
        forbidden="inspector",
        malformed={"body": {"lon": "east", "lat": 24.4}},
    ),
    Route(
        "POST",
        INCIDENT + "/command-post/close",
        make=with_post,
        body={"note": "撤收"},
        forbidden="inspector",
        malformed=NOT_JSON,
    ),
    # The log.
    Route("GET", INCIDENT + "/log", make=incident, malformed={"query": {"limit": "0"}}),
    Route(
        "POST",
        INCIDENT + "/log",
        make=incident,
        body={"text": "到场"},
        forbidden="inspector",
        malformed={"body": {"text": ""}},
    ),
    # Response orders.
    Route("GET", INCIDENT + "/dispatches", make=incident, malformed={"path": {"pk": "abc"}}),
    Route(
        "POST",
        INCIDENT + "/dispatches",
        make=lambda: {**incident(), "team": team_in(SIMING).pk},
        body=lambda p: {"team": p["team"]},
        forbidden="inspector",
        malformed={"body": {"team": "one"}},
    ),
    Route(
        "POST",
        INCIDENT + "/dispatches/{did}/transitions",
        make=with_dispatch,
        body={"action": "accept"},
        forbidden="team_leader",
        malformed={"body": {"action": "teleport"}},
    ),
    # Field reports: only the order's recipient (the team leader) sends them.
    Route(
        "POST",
        INCIDENT + "/dispatches/{did}/reports",
        make=with_dispatch,
        body={"text": "现场已控制", "rescued": 2, "evacuated": 10},
        forbidden="team_leader",
        malformed={"body": {"text": "现场", "rescued": -1}},
    ),
    Route(
        "GET",
        INCIDENT + "/dispatches/{did}/history",
        make=with_dispatch,
        malformed={"path": {"did": "abc"}},
    ),
    Route("GET", INCIDENT + "/summons", make=incident, malformed={"path": {"pk": "abc"}}),
    Route(
        "POST",
        INCIDENT + "/summons",
        make=lambda: {**incident(), "expert": expert_in(SIMING).pk},
        body=lambda p: {"expert": p["expert"]},
        forbidden="inspector",
        malformed={"body": {"expert": 0}},
    ),
    Route(
        "POST",
        INCIDENT + "/summons/{sid}/transitions",
        make=with_summons,
        body={"action": "accept"},
        forbidden="inspector",
        malformed={"body": {"action": "teleport"}},
    ),
    # Supplies.
    Route("GET", INCIDENT + "/supply-requests", make=incident, malformed={"path": {"pk": "abc"}}),
    Route(
        "GET",
        INCIDENT + "/supply-sources",
        make=with_depot,
        body=lambda p: {"item": p["item"]},
        forbidden="inspector",
        malformed={"query": {"item": "TENT-T", "quantity": "-1"}},
    ),
    Route(
        "POST",
        INCIDENT + "/supply-requests",
        make=with_depot,
        body=lambda p: {"depot": p["depot"], "item": p["item"], "quantity": "1"},
        forbidden="inspector",
        malformed={"body": {"depot": 1, "item": "TENT-T", "quantity": "many"}},
    ),
    Route(
        "POST",
        INCIDENT + "/supply-requests/{sid}/transitions",
        make=with_supply_request,
        body={"action": "approve"},
        forbidden="inspector",
        malformed={"body": {"action": "approve", "quantity": "-5"}},
    ),
    # Command: roles and tasks.
    Route("GET", INCIDENT + "/participants", make=incident, malformed={"path": {"pk": "abc"}}),
    Route(
        "POST",
        INCIDENT + "/participants",
        make=incident,
        body={"user": "siming_officer", "role": "liaison"},
        forbidden="inspector",
        malformed={"body": {"user": "", "role": "liaison"}},
    ),
    Route(
        "POST",
        INCIDENT + "/participants/{ppk}/end",
        make=with_participant,
        forbidden="inspector",
        malformed={"path": {"ppk": "abc"}},
    ),
    Route("GET", INCIDENT + "/tasks", make=incident, malformed={"path": {"pk": "abc"}}),
    Route(
        "POST",
        INCIDENT + "/tasks",
        make=incident,
        body={"title": "转移群众"},
        forbidden="inspector",
        malformed={"body": {"title": "转移群众", "due_at": "2030-13-01T08:00"}},
    ),
    Route(
        "POST",
        INCIDENT + "/tasks/{tid}/transitions",
        make=with_task,
        body={"action": "done"},
        forbidden="inspector",
        malformed={"body": {"action": "finish"}},
    ),
    # Situation reports.
    Route("GET", INCIDENT + "/sitreps", make=incident, malformed={"path": {"pk": "abc"}}),
    Route(
        "POST", INCIDENT + "/sitreps", make=incident, forbidden="team_leader", malformed={"path": {"pk": "x"}}
    ),
    Route("GET", INCIDENT + "/sitreps/{n}", make=with_sitrep, malformed={"path": {"n": "first"}}),
    Route(
        "PATCH",
        INCIDENT + "/sitreps/{n}",
        make=with_sitrep,
        body={"summary": "雨势减弱"},
        forbidden="inspector",
        malformed={"body": {"forces": [{"team": True}]}},
    ),
    Route(
        "POST",
        INCIDENT + "/sitreps/{n}/issue",
        make=with_sitrep,
        body={"version": 1},
        forbidden="inspector",
        malformed={"body": {"version": 0}},
    ),
    Route("GET", INCIDENT + "/sitreps/{n}.pdf", make=with_sitrep, malformed={"path": {"n": "first"}}),
    Route("GET", INCIDENT + "/sitreps/{n}.docx", make=with_sitrep, malformed={"path": {"n": "first"}}),
    # Duty.
    Route(
        "GET",
        "/api/v1/duty/shifts",
        outsider=None,
        forbidden="team_leader",
        malformed={"query": {"date": "yesterday"}},
    ),
    Route(
        "POST",
        "/api/v1/duty/shifts",
        body=shift_body,
        outsider=None,
        forbidden="inspector",
        malformed={"body": {"area": SIMING, "start": "soon", "end": "later", "duty_officer": "x"}},
    ),
    Route(
        "GET",
        "/api/v1/duty/shifts/{pk}/handover",
        make=with_shift,
        malformed={"query": {"offset": "-1"}},
    ),
    Route(
        "POST",
        "/api/v1/duty/shifts/{pk}/handover",
        make=with_shift,
        body={"text": "交班"},
        forbidden="inspector",
        malformed={"body": {"text": "交班", "open_items": "not a list"}},
    ),
    Route("GET", "/api/v1/duty/screen", outsider=None, forbidden="team_leader"),
)
