"""Situation reports of an incident: drafted from the incident, edited (a stale ``version`` or an issued
sitrep answers 409), issued, and downloaded as PDF or DOCX."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.responses import Status

from citywatch.incidents import actions, documents, queries
from citywatch.incidents.api.schemas import IssueIn, SitrepOut, SitrepPatch
from citywatch.incidents.models import Sitrep

router = Router(tags=["situation reports"])


@router.get("/incidents/{int:pk}/sitreps", response=list[SitrepOut], summary="Situation reports")
def list_sitreps(request: HttpRequest, pk: int):
    return queries.records_of(request.user, pk, Sitrep)


@router.post("/incidents/{int:pk}/sitreps", response={201: SitrepOut}, summary="Draft the next sitrep")
def generate(request: HttpRequest, pk: int):
    """A new draft numbered one more than the last, filled from the incident: its log (timeline),
    dispatches (forces), supply requests (supplies), casualty counts, outstanding supplies (needs), open
    tasks (next steps)."""
    incident = queries.incident_for(request.user, pk, adding=Sitrep)
    return Status(201, actions.generate_sitrep(incident, request.user))


@router.get("/incidents/{int:pk}/sitreps/{int:n}", response=SitrepOut, summary="One sitrep")
def get_sitrep(request: HttpRequest, pk: int, n: int):
    return queries.record_of(request.user, pk, Sitrep, number=n)


@router.patch("/incidents/{int:pk}/sitreps/{int:n}", response=SitrepOut, summary="Edit a draft sitrep")
def patch_sitrep(request: HttpRequest, pk: int, n: int, payload: SitrepPatch):
    sitrep = queries.record_of(request.user, pk, Sitrep, "change", number=n)
    return actions.update_sitrep(sitrep, request.user, payload.fields(), payload.version)


@router.post("/incidents/{int:pk}/sitreps/{int:n}/issue", response=SitrepOut, summary="Issue a sitrep")
def issue(request: HttpRequest, pk: int, n: int, payload: IssueIn | None = None):
    """From then on it cannot change."""
    sitrep = queries.record_of(request.user, pk, Sitrep, "change", number=n)
    return actions.issue_sitrep(sitrep, request.user, payload.version if payload else None)


def _download(request: HttpRequest, pk: int, n: int, fmt: documents.Format) -> HttpResponse:
    sitrep = queries.record_of(request.user, pk, Sitrep, number=n)
    response = HttpResponse(fmt.render(sitrep), content_type=fmt.content_type)
    response["Content-Disposition"] = f'attachment; filename="{documents.filename(sitrep, fmt)}"'
    return response


def _binary(fmt: documents.Format) -> dict:
    """The OpenAPI description of a document answer (ninja describes only JSON bodies itself)."""
    return {
        "responses": {
            200: {
                "description": f"the sitrep as {fmt.extension.upper()}, an attachment",
                "content": {fmt.content_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


PDF, DOCX = documents.FORMATS["pdf"], documents.FORMATS["docx"]


@router.get(
    "/incidents/{int:pk}/sitreps/{int:n}.pdf",
    response={200: None},
    openapi_extra=_binary(PDF),
    summary="A sitrep as PDF",
)
def sitrep_pdf(request: HttpRequest, pk: int, n: int):
    return _download(request, pk, n, PDF)


@router.get(
    "/incidents/{int:pk}/sitreps/{int:n}.docx",
    response={200: None},
    openapi_extra=_binary(DOCX),
    summary="A sitrep as DOCX",
)
def sitrep_docx(request: HttpRequest, pk: int, n: int):
    return _download(request, pk, n, DOCX)
