"""Plans and responses in the shared matrix: objects made in 思明区, looked at from 湖里区."""

from tests.support.matrix import Route, register


def _plan():
    from tests.support.response import siming_plan

    plan = siming_plan()
    return {"pk": plan.pk, "number": plan.current.number}


def _response():
    from tests.support.response import siming_response

    return {"pk": siming_response().pk}


def _action():
    from tests.support.response import siming_response

    return {"pk": siming_response().actions.first().pk}


def _proposal():
    from tests.support.response import siming_proposal

    return {"pk": siming_proposal().pk}


def _upload(name: str, content: bytes):
    def body(params):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return {"file": SimpleUploadedFile(name, content), "dry_run": "true"}

    return body


PLAN = {
    "hazard": "flood",
    "name": "矩阵测试预案",
    "area": "350203",
    "rule": "same",
    "levels": [
        {"level": "4", "actions": [{"title": "会商", "organisation": "思明区应急管理局", "minutes": 30}]}
    ],
}
CSV = (
    "灾种,预案,区域代码,提议规则,级别,行动,责任单位,时限\nflood,矩阵,350203,same,Ⅳ,会商,思明区应急管理局,30\n"
)

register(
    Route(
        "GET", "/api/v1/plans/", outsider=None, forbidden="team_leader", malformed={"query": {"hazard": "X!"}}
    ),
    Route(
        "POST",
        "/api/v1/plans/",
        body=PLAN,
        outsider=None,
        forbidden="commander",
        malformed={"body": {**PLAN, "levels": [{"level": "9"}]}},
    ),
    Route(
        "GET",
        "/api/v1/plans/export",
        outsider=None,
        forbidden="team_leader",
        malformed={"query": {"area": "abc"}},
    ),
    Route(
        "POST",
        "/api/v1/plans/import",
        body=_upload("plans.csv", CSV.encode()),
        outsider=None,
        forbidden="commander",
        malformed={"body": _upload("plans.txt", b"x\n")},
        extra={"multipart": True},
    ),
    Route("GET", "/api/v1/plans/{pk}", make=_plan, malformed={"path": {"pk": "abc"}}),
    Route(
        "GET",
        "/api/v1/plans/{pk}/revisions/{number}",
        make=_plan,
        malformed={"path": {"pk": "1", "number": "x"}},
    ),
    Route(
        "GET",
        "/api/v1/responses/",
        outsider=None,
        forbidden="team_leader",
        malformed={"query": {"status": "maybe"}},
    ),
    Route(
        "POST",
        "/api/v1/responses/",
        make=_plan,
        body=lambda p: {"plan": p["pk"], "level": "4"},
        forbidden="siming_officer",
        malformed={"body": {"plan": "x", "level": "4"}},
    ),
    Route("GET", "/api/v1/responses/{pk}", make=_response, malformed={"path": {"pk": "-3"}}),
    Route(
        "POST",
        "/api/v1/responses/{pk}/level",
        make=_response,
        body={"level": "3", "reason": "矩阵"},
        forbidden="siming_officer",
        malformed={"body": {"level": "7", "reason": "x"}},
    ),
    Route(
        "POST",
        "/api/v1/responses/{pk}/end",
        make=_response,
        body={"reason": "矩阵"},
        forbidden="siming_officer",
        malformed={"body": {"reason": 5}},
    ),
    Route("GET", "/api/v1/responses/{pk}/timeline", make=_response, malformed={"path": {"pk": "a"}}),
    Route("GET", "/api/v1/responses/{pk}/actions", make=_response, malformed={"path": {"pk": "a"}}),
    Route("GET", "/api/v1/responses/{pk}/report.pdf", make=_response, malformed={"path": {"pk": "a"}}),
    Route(
        "POST",
        "/api/v1/checklist-actions/{pk}/done",
        make=_action,
        body={"note": "完成"},
        forbidden="inspector",
        malformed={"body": {"note": ["x"]}},
    ),
    Route(
        "GET",
        "/api/v1/checklist-actions/overdue",
        outsider=None,
        forbidden="team_leader",
        note="no parameters: nothing to get wrong",
    ),
    Route(
        "GET",
        "/api/v1/proposals/",
        outsider=None,
        forbidden="team_leader",
        malformed={"query": {"status": "x"}},
    ),
    Route("GET", "/api/v1/proposals/{pk}", make=_proposal, malformed={"path": {"pk": "x"}}),
    Route(
        "POST",
        "/api/v1/proposals/{pk}/accept",
        make=_proposal,
        body={},
        forbidden="siming_officer",
        malformed={"body": {"level": "0"}},
    ),
    Route(
        "POST",
        "/api/v1/proposals/{pk}/dismiss",
        make=_proposal,
        body={},
        forbidden="siming_officer",
        malformed={"body": {"note": 3}},
    ),
)
