# No `from __future__ import annotations`: ninja must see the real parameter types.
"""Plans: list, read (the current revision, or any revision by number), write a new revision, import
and export as XLSX."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile
from ninja.responses import Status

from citywatch.core import access
from citywatch.core.errors import ActionError, Forbidden, Invalid
from citywatch.core.importing import ImportFailed
from citywatch.core.models import AdminArea
from citywatch.core.models.base import scope_of
from citywatch.core.pagination import PageParams, page, paged
from citywatch.response import actions, importers, queries
from citywatch.response.api.schemas import PlanDetail, PlanImportReportOut, PlanIn, PlanOut, RevisionOut
from citywatch.response.filters import PlanFilter
from citywatch.response.models import Plan

router = Router(tags=["plans"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BINARY = {"schema": {"type": "string", "format": "binary"}}
CODES = {413: "too_large", 415: "unsupported_media_type", 422: "validation_error"}


@router.get("/plans/", response=paged(PlanOut), summary="List emergency plans")
def list_plans(request: HttpRequest, filters: Query[PlanFilter], paging: Query[PageParams]):
    access.require(request.user, Plan, "view")
    return page(filters.filter(queries.plans_for(request.user)), paging)


@router.post("/plans/", response={201: PlanDetail, 200: PlanDetail}, summary="Write a plan (a new revision)")
def write_plan(request: HttpRequest, payload: PlanIn):
    """Creates the plan of that hazard and area, or writes its next revision (responses already running
    keep theirs). The same content as the current revision writes nothing (200)."""
    access.require(request.user, Plan, "add")
    access.require(request.user, Plan, "change")
    area = AdminArea.objects.filter(code=payload.area).first()
    if area is None:
        raise Invalid(_("no area with code %(code)s") % {"code": payload.area})
    if not scope_of(request.user).covers(area.path):
        raise Forbidden(_("%(area)s lies outside your jurisdiction") % {"area": area.name})
    spec = actions.PlanSpec(
        payload.hazard,
        payload.name,
        area,
        payload.rule,
        [
            actions.LevelSpec(
                lv.level,
                lv.condition,
                [actions.ActionSpec(a.title, a.organisation, a.minutes) for a in lv.actions],
            )
            for lv in payload.levels
        ],
    )
    plan, outcome = actions.save_plan(request.user, spec, payload.note)
    return Status(
        201 if outcome == "created" else 200, Plan.objects.select_related("area", "current").get(pk=plan.pk)
    )


@router.get(
    "/plans/export",
    response={200: None},
    summary="Export plans as XLSX",
    openapi_extra={
        "responses": {
            200: {
                "description": "the workbook",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export_plans(request: HttpRequest, filters: Query[PlanFilter]):
    """The current revisions of the plans you may see (one row per action; re-imports as it is)."""
    access.require(request.user, Plan, "view")
    plans = list(filters.filter(queries.plans_for(request.user)))
    answer = HttpResponse(importers.write_xlsx(plans), content_type=XLSX)
    answer["Content-Disposition"] = f'attachment; filename="{importers.export_name(plans)}"'
    return answer


@router.post("/plans/import", response=PlanImportReportOut, summary="Import plans from a file")
def import_plans(request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = False):
    """.xlsx or .csv, one row per checklist action (docs/data-formats.md). Every row is checked first;
    any problem and nothing is written (422 lists them)."""
    try:
        report = importers.import_upload(file, user=request.user, dry_run=dry_run)
    except ImportFailed as exc:
        status = getattr(exc, "status", 422)
        problems = [{"row": p.row, "column": p.column, "message": p.message} for p in exc.report.problems]
        message = (
            exc.report.problems[0].message
            if status != 422 and problems
            else _("%(count)s problem(s) in the file; nothing was written") % {"count": len(problems)}
        )
        raise ActionError(message, problems, status=status, code=CODES[status]) from None
    return {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "dry_run": dry_run,
    }


@router.get("/plans/{int:pk}", response=PlanDetail, summary="One plan (its current revision)")
def get_plan(request: HttpRequest, pk: int):
    return queries.plan_for(request.user, pk)


@router.get("/plans/{int:pk}/revisions/{int:number}", response=RevisionOut, summary="One revision of a plan")
def get_revision(request: HttpRequest, pk: int, number: int):
    plan = queries.plan_for(request.user, pk)
    return queries.revision_of(request.user, plan, number)
