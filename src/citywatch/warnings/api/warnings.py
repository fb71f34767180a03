"""Warnings: the list in force, drafting, reading, editing drafts, the lifecycle, updates, versions."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.responses import Status

from citywatch.core import access
from citywatch.core.pagination import PageParams, feature, feature_collection, geojson, page, paged
from citywatch.warnings import actions, queries
from citywatch.warnings.api.schemas import (
    HazardTypeOut,
    WarningDetail,
    WarningEditIn,
    WarningIn,
    WarningOut,
    WarningTransitionIn,
    WarningVersionOut,
)
from citywatch.warnings.filters import WarningFilter
from citywatch.warnings.models import Warning, WarningVersion

router = Router(tags=["warnings"])
CAP_CONTENT = {"application/cap+xml": {"schema": {"type": "string"}}}


def with_current(warnings):
    warnings = list(warnings)
    current = queries.current_versions(warnings)
    for warning in warnings:
        warning.current_version = current.get(warning.pk)
    return warnings


def detail(user, pk: int) -> Warning:
    warning = queries.warning_for(user, pk)
    return with_current([warning])[0]


@router.get(
    "/warnings/",
    response=paged(WarningOut) | geojson(WarningOut),
    summary="Warnings (in force by default)",
)
def list_warnings(
    request: HttpRequest,
    filters: Query[WarningFilter],
    paging: Query[PageParams],
    format: Literal["json", "geojson"] = "json",
):
    """The warnings in force in your jurisdiction, newest first; ``status`` or ``all=true`` for others.
    ``format=geojson``: a FeatureCollection of their areas as drawn (the one-map's layer)."""
    access.require(request.user, Warning, "view")
    qs = filters.filter(queries.warnings_for(request.user)).distinct().order_by("-issued_at", "-id")
    if format == "geojson":
        result = feature_collection(qs, paging, lambda w: feature(w, w.geometry))
        with_current([f["properties"] for f in result["features"]])
        return result
    result = page(qs, paging)
    result["items"] = with_current(result["items"])
    return result


@router.post("/warnings/", response={201: WarningDetail}, summary="Draft a warning")
def create_warning(request: HttpRequest, payload: WarningIn):
    """A draft; default headline and instructions (the hazard's guidance for the level) fill blanks. An
    area outside your jurisdiction answers 403."""
    access.require(request.user, Warning, "add")
    warning = actions.draft_warning(request.user, actions.WarningInput(**payload.fields()))
    return Status(201, detail(request.user, warning.pk))


@router.get("/warnings/hazards", response=list[HazardTypeOut], summary="Hazard types and default guidance")
def list_hazards(request: HttpRequest):
    access.require(request.user, Warning, "view")
    return list(queries.hazards())


@router.get("/warnings/{int:pk}", response=WarningDetail, summary="One warning with its versions")
def get_warning(request: HttpRequest, pk: int):
    return detail(request.user, pk)


@router.patch("/warnings/{int:pk}", response=WarningDetail, summary="Change a draft")
def edit_warning(request: HttpRequest, pk: int, payload: WarningEditIn):
    """Only drafts (and warnings awaiting approval, which go back to draft); an issued warning changes by
    an update. A stale ``version`` answers 409."""
    warning = queries.warning_for(request.user, pk, "change")
    actions.edit_draft(
        request.user, warning, actions.WarningInput(**payload.fields()), version=payload.version
    )
    return detail(request.user, pk)


@router.post("/warnings/{int:pk}/transitions", response=WarningDetail, summary="Move a warning on")
def transition_warning(request: HttpRequest, pk: int, payload: WarningTransitionIn):
    """submit (for approval), issue (a draft, if you may issue its level), approve (a submitted warning;
    commanders), return (to draft), withdraw, lift (a CAP Cancel). 403 when your role may not issue the
    level, 409 for an illegal step or a stale version."""
    warning = queries.warning_for(request.user, pk, "change")
    steps = {
        "submit": actions.submit,
        "issue": actions.issue,
        "approve": actions.issue,
        "return": actions.return_to_draft,
        "withdraw": actions.withdraw,
        "lift": actions.lift,
    }
    if payload.action in ("issue", "approve"):
        actions.LIFECYCLE.target(warning.status, payload.action)
    steps[payload.action](request.user, warning, version=payload.version)
    return detail(request.user, pk)


@router.post("/warnings/{int:pk}/updates", response=WarningDetail, summary="Update an issued warning")
def update_warning(request: HttpRequest, pk: int, payload: WarningEditIn):
    """Upgrade, downgrade, extend or change the areas of a warning in force: a new version, published as a
    CAP Update referencing the earlier ones. You must be able to issue the new level."""
    warning = queries.warning_for(request.user, pk, "change")
    actions.update(request.user, warning, actions.WarningInput(**payload.fields()), version=payload.version)
    return detail(request.user, pk)


@router.get("/warnings/{int:pk}/versions", response=list[WarningVersionOut], summary="A warning's versions")
def list_versions(request: HttpRequest, pk: int):
    warning = queries.warning_for(request.user, pk)
    return list(queries.versions_of(request.user, warning))


@router.get(
    "/warnings/versions/{int:pk}/cap",
    response={200: None},
    summary="A version's CAP document",
    openapi_extra={"responses": {200: {"description": "CAP 1.2", "content": CAP_CONTENT}}},
)
def version_cap(request: HttpRequest, pk: int):
    """The CAP 1.2 document of a version, as published (or as received, re-encoded as UTF-8)."""
    version = access.get_for(request.user, WarningVersion.objects.select_related("warning"), "view", pk=pk)
    return HttpResponse(version.cap.encode("utf-8"), content_type="application/cap+xml; charset=utf-8")
