"""Core endpoints: admin areas, the current user, the change log."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from citywatch.core import queries
from citywatch.core.filters import AreaFilter, ChangeFilter
from citywatch.core.models import AdminArea, ObjectChange
from citywatch.core.pagination import PageParams, feature_collection, geometry_json, page

router = Router(tags=["core"])


class AreaRef(Schema):
    code: str
    name: str
    level: str


class AreaOut(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None
    lon: float | None
    lat: float | None
    point_source: str
    has_boundary: bool


class AreaDetail(AreaOut):
    parent: AreaRef | None
    children: int
    boundary: dict[str, Any] | None


class PageOut(Schema):
    count: int
    limit: int
    offset: int
    next_offset: int | None


class AreaPage(PageOut):
    items: list[AreaOut]


def area_out(area: AdminArea) -> dict:
    return {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "parent_code": area.parent.code if area.parent_id else None,
        "lon": area.point.x if area.point else None,
        "lat": area.point.y if area.point else None,
        "point_source": area.point_source,
        "has_boundary": area.boundary is not None,
    }


def area_feature(area: AdminArea) -> dict:
    # Areas with a boundary are drawn as polygons; the rest as their representative point.
    geometry = geometry_json(area.boundary) if area.boundary is not None else geometry_json(area.point)
    props = area_out(area)
    props["synthetic"] = area.is_synthetic_point and area.boundary is None
    return {"type": "Feature", "id": area.code, "geometry": geometry, "properties": props}


@router.get("/areas", response=AreaPage | dict[str, Any], summary="List administrative areas")
def list_areas(
    request: HttpRequest,
    filters: Query[AreaFilter],
    paging: Query[PageParams],
    format: Literal["json", "geojson"] = "json",
):
    """Areas in your jurisdiction. ``format=geojson`` answers a FeatureCollection (boundaries where known,
    otherwise representative points)."""
    qs = filters.filter(queries.areas_for(request.user)).order_by("code")
    if format == "geojson":
        return feature_collection(qs, paging, area_feature)
    return page(qs.defer("boundary"), paging, area_out)


@router.get("/areas/{code}", response=AreaDetail, summary="One administrative area, with its boundary")
def get_area(request: HttpRequest, code: str):
    area = queries.area_for(request.user, code)
    data = area_out(area)
    data["parent"] = (
        {"code": area.parent.code, "name": area.parent.name, "level": area.parent.level}
        if area.parent_id
        else None
    )
    data["children"] = queries.areas_for(request.user).filter(parent=area).count()
    data["boundary"] = geometry_json(area.boundary)
    return data


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    role_label: str
    jurisdiction: AreaRef | None
    organisation: str | None
    permissions: list[str]
    is_staff: bool


@router.get("/me", response=MeOut, summary="Who you are, your role and jurisdiction")
def me(request: HttpRequest):
    user = request.user
    j = user.jurisdiction
    return {
        "username": user.username,
        "full_name": user.get_full_name(),
        "role": user.role,
        "role_label": str(user.get_role_display()) if user.role else "",
        "jurisdiction": {"code": j.code, "name": j.name, "level": j.level} if j else None,
        "organisation": str(user.organisation) if user.organisation_id else None,
        "permissions": sorted(user.get_all_permissions()),
        "is_staff": user.is_staff,
    }


class ChangeOut(Schema):
    id: int
    time: datetime.datetime
    user: str
    source: str
    request_id: str
    action: str
    model: str
    object_id: str
    object_repr: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ChangePage(PageOut):
    items: list[ChangeOut]


def change_out(change: ObjectChange) -> dict:
    return {
        "id": change.pk,
        "time": change.time,
        "user": change.user_name,
        "source": change.source,
        "request_id": change.request_id,
        "action": change.action,
        "model": f"{change.content_type.app_label}.{change.content_type.model}",
        "object_id": change.object_id,
        "object_repr": change.object_repr,
        "before": change.before,
        "after": change.after,
    }


@router.get("/changes", response=ChangePage, summary="The change log (read-only)")
def list_changes(request: HttpRequest, filters: Query[ChangeFilter], paging: Query[PageParams]):
    """Every create, update and delete in your jurisdiction, newest first. It cannot be edited."""
    qs = filters.filter(queries.changes_for(request.user))
    return page(qs, paging, change_out)
