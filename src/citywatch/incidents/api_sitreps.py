"""Situation reports under /api/v1/incidents/{id}/sitreps (see ``citywatch.incidents.sitreps``).

The incident must be in the caller's jurisdiction (404 otherwise); generating, editing and issuing need
the sitrep add/change permission (403: team leaders and inspectors). An edit of an issued sitrep or with a
stale ``version`` answers 409.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Schema
from ninja.responses import Status
from pydantic import Field

from citywatch.incidents import queries, sitreps
from citywatch.incidents.api import _iso, _need, router
from citywatch.incidents.models import Sitrep

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def sitrep_out(s: Sitrep) -> dict[str, Any]:
    return {
        "incident": s.incident_id,
        "number": s.number,
        "version": s.version,
        "status": s.status,
        "exercise": s.exercise,
        "issued_at": _iso(s.issued_at),
        "issued_by": s.issued_by.username if s.issued_by_id else None,
        "created_at": _iso(s.created_at),
        "updated_at": _iso(s.updated_at),
        **{name: getattr(s, name) for name in sitreps.EDITABLE},
        "pdf": f"/api/v1/incidents/{s.incident_id}/sitreps/{s.number}.pdf",
        "docx": f"/api/v1/incidents/{s.incident_id}/sitreps/{s.number}.docx",
    }


def _sitreps(user, pk: int, action: str = "view"):
    incident = queries.incident_for(user, pk)
    return (
        Sitrep.objects.restrict(user, action)
        .filter(incident=incident)
        .select_related("incident__area", "issued_by")
    )


def _sitrep(user, pk: int, n: int, action: str = "view") -> Sitrep:
    sitrep = _sitreps(user, pk, action).filter(number=n).first()
    if sitrep is None:
        raise Http404("no such sitrep")
    return sitrep


@router.get("/incidents/{int:pk}/sitreps", response=list[dict[str, Any]], summary="Situation reports")
def list_sitreps(request: HttpRequest, pk: int):
    return [sitrep_out(s) for s in _sitreps(request.user, pk)]


@router.post("/incidents/{int:pk}/sitreps", response={201: dict[str, Any]}, summary="Draft the next sitrep")
def generate(request: HttpRequest, pk: int):
    """A new draft numbered one more than the last, filled from the incident: its log (timeline), dispatches
    (forces), supply requests (supplies), casualty counts, outstanding supplies (needs), open tasks."""
    _need(request.user, Sitrep, "add")
    incident = queries.incident_for(request.user, pk, "change")
    sitrep = sitreps.generate_sitrep(incident, request.user)
    return Status(201, sitrep_out(_sitrep(request.user, pk, sitrep.number)))


@router.get("/incidents/{int:pk}/sitreps/{int:n}", response=dict[str, Any], summary="One sitrep")
def get_sitrep(request: HttpRequest, pk: int, n: int):
    return sitrep_out(_sitrep(request.user, pk, n))


class SitrepPatch(Schema):
    version: int | None = Field(None, ge=1, description="the version you edited; a newer one answers 409")
    summary: str | None = Field(None, max_length=20000)
    timeline: list[dict[str, Any]] | None = Field(None, max_length=2000)
    forces: list[dict[str, Any]] | None = Field(None, max_length=2000)
    supplies: list[dict[str, Any]] | None = Field(None, max_length=2000)
    deaths: int | None = Field(None, ge=0, le=10_000_000)
    serious_injuries: int | None = Field(None, ge=0, le=10_000_000)
    injuries: int | None = Field(None, ge=0, le=10_000_000)
    missing: int | None = Field(None, ge=0, le=10_000_000)
    needs: str | None = Field(None, max_length=10000)
    next_steps: str | None = Field(None, max_length=10000)


@router.patch("/incidents/{int:pk}/sitreps/{int:n}", response=dict[str, Any], summary="Edit a draft sitrep")
def patch_sitrep(request: HttpRequest, pk: int, n: int, payload: SitrepPatch):
    _sitrep(request.user, pk, n)
    _need(request.user, Sitrep, "change")
    sitrep = _sitrep(request.user, pk, n, "change")
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    sitreps.update_sitrep(sitrep, request.user, {k: v for k, v in data.items() if v is not None}, version)
    return sitrep_out(_sitrep(request.user, pk, n))


class IssueIn(Schema):
    version: int | None = Field(None, ge=1)


@router.post("/incidents/{int:pk}/sitreps/{int:n}/issue", response=dict[str, Any], summary="Issue a sitrep")
def issue(request: HttpRequest, pk: int, n: int, payload: IssueIn | None = None):
    _sitrep(request.user, pk, n)
    _need(request.user, Sitrep, "change")
    sitrep = _sitrep(request.user, pk, n, "change")
    sitreps.issue_sitrep(sitrep, request.user, payload.version if payload else None)
    return sitrep_out(_sitrep(request.user, pk, n))


def _download(sitrep: Sitrep, body: bytes, content_type: str, ext: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    name = f"sitrep-{sitrep.incident_id}-{sitrep.number}-v{sitrep.version}.{ext}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/incidents/{int:pk}/sitreps/{int:n}.pdf", summary="A sitrep as PDF", response={200: None})
def sitrep_pdf(request: HttpRequest, pk: int, n: int):
    sitrep = _sitrep(request.user, pk, n)
    return _download(sitrep, sitreps.render_pdf(sitrep), PDF, "pdf")


@router.get("/incidents/{int:pk}/sitreps/{int:n}.docx", summary="A sitrep as DOCX", response={200: None})
def sitrep_docx(request: HttpRequest, pk: int, n: int):
    sitrep = _sitrep(request.user, pk, n)
    return _download(sitrep, sitreps.render_docx(sitrep), DOCX, "docx")
