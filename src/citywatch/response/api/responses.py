# No `from __future__ import annotations`: ninja must see the real parameter types.
"""Responses: list, start, read (with checklist, progress, causing warnings and incidents), change level,
end, timeline, drill report (PDF); checklist actions marked done."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status

from citywatch.core import access
from citywatch.core.errors import Invalid
from citywatch.core.models import AdminArea
from citywatch.core.pagination import PageParams, page, paged
from citywatch.response import actions, documents, queries
from citywatch.response.api.schemas import (
    ChecklistActionOut,
    DoneIn,
    EndIn,
    EventOut,
    LevelChangeIn,
    ResponseDetail,
    ResponseIn,
    ResponseOut,
)
from citywatch.response.filters import ResponseFilter
from citywatch.response.models import Response

router = Router(tags=["responses"])


@router.get("/responses/", response=paged(ResponseOut), summary="List responses")
def list_responses(request: HttpRequest, filters: Query[ResponseFilter], paging: Query[PageParams]):
    access.require(request.user, Response, "view")
    return page(filters.filter(queries.responses_for(request.user)), paging)


@router.post("/responses/", response={201: ResponseDetail}, summary="Start a response")
def start_response(request: HttpRequest, payload: ResponseIn):
    """A commander's role (403 otherwise); the area in your jurisdiction (403) and in the plan's (422); a
    level the plan has (422); the same hazard and area not already running (409). Nothing is written
    unless all hold."""
    plan = queries.plan_for(request.user, payload.plan)
    access.require(request.user, Response, "add")
    area = None
    if payload.area:
        area = AdminArea.objects.filter(code=payload.area).first()
        if area is None:
            raise Invalid(_("no area with code %(code)s") % {"code": payload.area})
    response = actions.start(
        request.user, plan, payload.level, area, payload.reason, exercise=payload.exercise
    )
    return Status(201, queries.response_for(request.user, response.pk))


@router.get("/responses/{int:pk}", response=ResponseDetail, summary="One response")
def get_response(request: HttpRequest, pk: int):
    return queries.response_for(request.user, pk)


@router.post("/responses/{int:pk}/level", response=ResponseDetail, summary="Upgrade or downgrade")
def change_level(request: HttpRequest, pk: int, payload: LevelChangeIn):
    """With a reason; a stale ``version`` or an ended response answers 409."""
    response = queries.response_for(request.user, pk, "change")
    actions.change_level(request.user, response, payload.level, payload.reason, payload.version)
    return queries.response_for(request.user, pk)


@router.post("/responses/{int:pk}/end", response=ResponseDetail, summary="End a response")
def end_response(request: HttpRequest, pk: int, payload: EndIn):
    response = queries.response_for(request.user, pk, "change")
    actions.end(request.user, response, payload.reason, payload.version)
    return queries.response_for(request.user, pk)


@router.get("/responses/{int:pk}/timeline", response=list[EventOut], summary="A response's timeline")
def response_timeline(request: HttpRequest, pk: int):
    return list(queries.timeline(queries.response_for(request.user, pk)))


@router.get("/responses/{int:pk}/actions", response=list[ChecklistActionOut], summary="Its checklist")
def response_actions(request: HttpRequest, pk: int):
    return list(queries.actions_of(queries.response_for(request.user, pk)))


@router.get(
    "/responses/{int:pk}/report.pdf",
    response={200: None},
    summary="The response's timing report (PDF)",
    openapi_extra={
        "responses": {
            200: {
                "description": "the report",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def response_report(request: HttpRequest, pk: int):
    """Warning → proposal → start → each checklist action, scored against the plan's time limits; for
    a drill, the drill report (marked 演练)."""
    response = queries.response_for(request.user, pk)
    answer = HttpResponse(documents.render_pdf(response), content_type="application/pdf")
    answer["Content-Disposition"] = f'attachment; filename="{documents.filename(response)}"'
    return answer


@router.post("/checklist-actions/{int:pk}/done", response=ChecklistActionOut, summary="Mark an action done")
def mark_done(request: HttpRequest, pk: int, payload: DoneIn):
    """With a note; twice, or on an ended response: 409."""
    action = queries.action_for(request.user, pk, "change")
    return actions.mark_done(request.user, action, payload.note)


@router.get("/checklist-actions/overdue", response=list[ChecklistActionOut], summary="Overdue actions")
def overdue(request: HttpRequest):
    from citywatch.response.models import ChecklistAction

    access.require(request.user, ChecklistAction, "view")
    return list(queries.overdue_actions(request.user)[:200])
