"""Core endpoints: admin areas, the current user, the change log."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from citywatch.core import access, queries
from citywatch.core.filters import AreaFilter, ChangeFilter
from citywatch.core.models import AdminArea, ObjectChange
from citywatch.core.pagination import (
    Geometry,
    PageParams,
    feature,
    feature_collection,
    geojson,
    geometry_json,
    page,
    paged,
)

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

    @staticmethod
    def resolve_parent_code(area: AdminArea) -> str | None:
        return area.parent.code if area.parent_id else None

    @staticmethod
    def resolve_lon(area: AdminArea) -> float | None:
        return area.point.x if area.point else None

    @staticmethod
    def resolve_lat(area: AdminArea) -> float | None:
        return area.point.y if area.point else None

    @staticmethod
    def resolve_has_boundary(area: AdminArea) -> bool:
        return area.boundary is not None


class AreaProperties(AreaOut):
    synthetic: bool

    @staticmethod
    def resolve_synthetic(area: AdminArea) -> bool:
        return area.is_synthetic_point and area.boundary is None


class AreaDetail(AreaOut):
    parent: AreaRef | None
    children: int = Field(description="sub-areas (all of them lie in the caller's jurisdiction too)")
    boundary: Geometry | None

    @staticmethod
    def resolve_parent(area: AdminArea):
        return area.parent if area.parent_id else None

    @staticmethod
    def resolve_children(area: AdminArea) -> int:
        return area.children.count()

    @staticmethod
    def resolve_boundary(area: AdminArea):
        return geometry_json(area.boundary)


def area_feature(area: AdminArea) -> dict:
    # Areas with a boundary are drawn as polygons; the rest as their representative point.
    return feature(area, area.boundary if area.boundary is not None else area.point)


@router.get("/areas", response=paged(AreaOut) | geojson(AreaProperties), summary="List administrative areas")
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
    return page(qs.defer("boundary"), paging)


@router.get("/areas/{code}", response=AreaDetail, summary="One administrative area, with its boundary")
def get_area(request: HttpRequest, code: str):
    return queries.area_for(request.user, code)


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    role_label: str
    jurisdiction: AreaRef | None
    organisation: str | None
    permissions: list[str]
    is_staff: bool

    @staticmethod
    def resolve_full_name(user) -> str:
        return user.get_full_name()

    @staticmethod
    def resolve_role_label(user) -> str:
        return str(user.get_role_display()) if user.role else ""

    @staticmethod
    def resolve_organisation(user) -> str | None:
        return str(user.organisation) if user.organisation_id else None

    @staticmethod
    def resolve_permissions(user) -> list[str]:
        return sorted(user.get_all_permissions())


@router.get("/me", response=MeOut, summary="Who you are, your role and jurisdiction")
def me(request: HttpRequest):
    return request.user


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

    @staticmethod
    def resolve_user(change: ObjectChange) -> str:
        return change.user_name

    @staticmethod
    def resolve_model(change: ObjectChange) -> str:
        return f"{change.content_type.app_label}.{change.content_type.model}"


@router.get("/changes", response=paged(ChangeOut), summary="The change log (read-only)")
def list_changes(request: HttpRequest, filters: Query[ChangeFilter], paging: Query[PageParams]):
    """Every create, update and delete in your jurisdiction, newest first. It cannot be edited."""
    access.require(request.user, ObjectChange, "view")
    return page(filters.filter(queries.changes_for(request.user)), paging)
