"""The monitoring hub's routes in the shared matrix (readings, variables, rules, alarms): objects made in
思明区, looked at from 湖里区. (The registry's routes — sources, stations — are in monitoring_registry.py.)"""

from tests.support.matrix import Route, register
from tests.support.places import SIMING


def _station():
    from tests.support.monitoring import station_in

    return {"station": station_in(SIMING).pk}


def _rule():
    from citywatch.core.models import AdminArea
    from tests.support.monitoring import rain_rule

    return {"pk": rain_rule(area=AdminArea.objects.get(code=SIMING)).pk}


def _alarm(state="open"):
    from tests.support.monitoring import alarm_in

    return {"pk": alarm_in(SIMING, state=state).pk}


NEW_RULE = {
    "name": "矩阵测试规则",
    "variable": "rain",
    "kind": "threshold",
    "blue": 10,
    "red": 50,
    "station_kind": "rain_gauge",
}

register(
    Route(
        "POST",
        "/api/v1/observations",
        body=[{"station": "t-none", "variable": "rain", "time": "2024-06-01T08:00:00+08:00", "value": 1}],
        outsider=None,
        forbidden="inspector",
        malformed={"body": "[{"},
    ),
    Route("GET", "/api/v1/monitoring/variables", outsider=None),
    Route(
        "GET",
        "/api/v1/monitoring/observations",
        make=_station,
        body=lambda p: {"station": p["station"], "variable": "rain"},
        outsider="huli_officer",
        malformed={"query": {"station": "x", "variable": "rain"}},
        note="the station is named in the query",
    ),
    Route(
        "GET",
        "/api/v1/monitoring/rules",
        outsider=None,
        forbidden="team_leader",
        malformed={"query": {"kind": "magic"}},
    ),
    Route(
        "POST",
        "/api/v1/monitoring/rules",
        body=NEW_RULE,
        outsider=None,
        forbidden="inspector",
        malformed={"body": {**NEW_RULE, "op": "=="}},
    ),
    Route("GET", "/api/v1/monitoring/rules/{pk}", make=_rule, malformed={"path": {"pk": "abc"}}),
    Route(
        "PATCH",
        "/api/v1/monitoring/rules/{pk}",
        make=_rule,
        body={"name": "改名"},
        forbidden="inspector",
        malformed={"body": {"margin": -1}},
    ),
    Route(
        "DELETE",
        "/api/v1/monitoring/rules/{pk}",
        make=_rule,
        forbidden="inspector",
        malformed={"path": {"pk": "0"}},
    ),
    Route(
        "GET",
        "/api/v1/monitoring/rules/{pk}/preview",
        make=_rule,
        malformed={"query": {"days": "many"}},
    ),
    Route(
        "GET",
        "/api/v1/monitoring/alarms",
        outsider=None,
        forbidden=None,
        malformed={"query": {"level": "purple"}},
    ),
    Route("GET", "/api/v1/monitoring/alarms/{pk}", make=_alarm, malformed={"path": {"pk": "-1"}}),
    Route(
        "POST",
        "/api/v1/monitoring/alarms/{pk}/acknowledge",
        make=_alarm,
        body={"note": "已派人查看"},
        forbidden="inspector",
        malformed={"body": {"note": 5, "version": "x"}},
    ),
    Route(
        "POST",
        "/api/v1/monitoring/alarms/{pk}/close",
        make=lambda: _alarm("cleared"),
        body={"note": ""},
        forbidden="inspector",
        malformed={"body": {"version": 0}},
    ),
)
