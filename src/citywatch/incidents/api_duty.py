"""Command posts and duty under /api/v1/: ``/incidents/{id}/command-post`` (GET, POST, POST …/close),
``/incidents/command-posts`` (active posts, JSON or GeoJSON for the map), ``/duty/shifts`` (list,
create), ``/duty/shifts/{id}/handover`` (list, append) and ``/duty/screen``.

Same conventions as ``incidents.api``: reads start from ``restrict``; outside the jurisdiction is 404;
a second active post or a post before verification is 409.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Schema
from ninja.responses import Status
from pydantic import Field

from citywatch.core.models import AdminArea
from citywatch.core.pagination import PageParams, geometry_json, page
from citywatch.incidents import duty, queries
from citywatch.incidents.api import _iso, _need, _person, router
from citywatch.incidents.models import CommandPost, DutyShift, HandoverEntry


def post_out(post: CommandPost) -> dict[str, Any]:
    return {
        "id": post.pk,
        "incident": post.incident_id,
        "incident_title": post.incident.title,
        "lon": post.location.x,
        "lat": post.location.y,
        "leader": post.leader.username if post.leader_id else None,
        "leader_name": post.leader.display_name if post.leader_id else None,
        "members": post.members,
        "communications": post.communications,
        "established_at": _iso(post.established_at),
        "closed_at": _iso(post.closed_at),
        "active": post.active,
        "verified_at": _iso(post.incident.verified_at),
        "minutes_from_verification": post.minutes_from_verification,
        "target_minutes": post.target_minutes,
        "within_target": post.within_target,
    }


def post_feature(post: CommandPost) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": post.pk,
        "geometry": geometry_json(post.location),
        "properties": post_out(post),
    }


@router.get("/incidents/command-posts", response=dict[str, Any], summary="Active command posts (for the map)")
def list_posts(request: HttpRequest, format: Literal["json", "geojson"] = "geojson"):
    posts = list(duty.posts_for(request.user).filter(closed_at__isnull=True))
    if format == "geojson":
        return {"type": "FeatureCollection", "features": [post_feature(p) for p in posts]}
    return {"items": [post_out(p) for p in posts], "count": len(posts)}


@router.get(
    "/incidents/{int:pk}/command-post", response=dict[str, Any], summary="The incident's command post"
)
def get_post(request: HttpRequest, pk: int):
    """The active post, else the latest closed one; 404 if the incident never had one."""
    incident = queries.incident_for(request.user, pk)
    posts = duty.posts_for(request.user).filter(incident=incident)
    post = posts.filter(closed_at__isnull=True).first() or posts.order_by("-established_at", "-id").first()
    if post is None:
        raise Http404("the incident has no command post")
    return post_out(post)


class MemberIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    role: str = Field("", max_length=100)


class PostIn(Schema):
    lon: float
    lat: float
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    leader: str | None = Field(None, max_length=150, description="username of the post's leader")
    members: list[MemberIn] = Field(default_factory=list, max_length=100)
    communications: str = Field("", max_length=2000, description="radio channel, satellite phone, …")
    established_at: datetime.datetime | None = Field(None, description="when it was set up; omitted: now")


@router.post(
    "/incidents/{int:pk}/command-post", response={201: dict[str, Any]}, summary="Establish the command post"
)
def establish(request: HttpRequest, pk: int, payload: PostIn):
    """Only for a verified, open incident (409 otherwise); a second active post answers 409. The answer
    shows the minutes from verification against the target (CITYWATCH_COMMAND_POST_TARGET_MINUTES)."""
    queries.incident_for(request.user, pk)
    _need(request.user, CommandPost, "add")
    incident = queries.incident_for(request.user, pk, "change")
    post = duty.establish_post(
        incident,
        request.user,
        lon=payload.lon,
        lat=payload.lat,
        crs=payload.crs,
        leader=_person(payload.leader),
        members=[m.model_dump() for m in payload.members],
        communications=payload.communications,
        established_at=payload.established_at,
    )
    return Status(201, post_out(duty.posts_for(request.user).get(pk=post.pk)))


class CloseIn(Schema):
    note: str = Field("", max_length=2000)


@router.post(
    "/incidents/{int:pk}/command-post/close", response=dict[str, Any], summary="Close the command post"
)
def close(request: HttpRequest, pk: int, payload: CloseIn | None = None):
    queries.incident_for(request.user, pk)
    _need(request.user, CommandPost, "change")
    post = duty.posts_for(request.user, "change").filter(incident_id=pk, closed_at__isnull=True).first()
    if post is None:
        raise Http404("the incident has no active command post")
    duty.close_post(post, request.user, payload.note if payload else "")
    return post_out(duty.posts_for(request.user).get(pk=post.pk))


# --- Duty -----------------------------------------------------------------------------------------


def shift_out(s: DutyShift) -> dict[str, Any]:
    return {
        "id": s.pk,
        "area": {"code": s.area.code, "name": s.area.name, "level": s.area.level},
        "date": s.date.isoformat(),
        "start": _iso(timezone.localtime(s.start)),
        "end": _iso(timezone.localtime(s.end)),
        "duty_officer": s.duty_officer.username,
        "duty_officer_name": s.duty_officer.display_name,
        "leader_on_call": s.leader_on_call.username if s.leader_on_call_id else None,
        "leader_on_call_name": s.leader_on_call.display_name if s.leader_on_call_id else None,
        "note": s.note,
    }


def handover_out(e: HandoverEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "shift": e.shift_id,
        "time": _iso(e.time),
        "author": e.author.username if e.author_id else None,
        "text": e.text,
        "open_items": e.open_items,
    }


class ShiftFilter(Schema):
    date: datetime.date | None = Field(None, description="shifts overlapping this local day")
    area: str | None = Field(None, max_length=32, description="admin area code")


@router.get("/duty/shifts", response=dict[str, Any], summary="The duty roster")
def list_shifts(request: HttpRequest, filters: Query[ShiftFilter], paging: Query[PageParams]):
    qs = duty.shifts_for(request.user)
    if filters.date is not None:
        start = timezone.make_aware(datetime.datetime.combine(filters.date, datetime.time()))
        qs = qs.filter(start__lt=start + datetime.timedelta(days=1), end__gt=start)
    if filters.area:
        qs = qs.filter(area__code=filters.area)
    return page(qs, paging, shift_out)


class ShiftIn(Schema):
    area: str = Field(max_length=32, description="admin area code (the city or a district)")
    start: datetime.datetime
    end: datetime.datetime
    duty_officer: str = Field(max_length=150, description="username")
    leader_on_call: str | None = Field(None, max_length=150, description="username")
    note: str = Field("", max_length=200)


@router.post("/duty/shifts", response={201: dict[str, Any]}, summary="Put a shift on the roster")
def create_shift(request: HttpRequest, payload: ShiftIn):
    """The area must be in your jurisdiction (403 otherwise); an overlapping shift of the same area
    answers 409."""
    _need(request.user, DutyShift, "add")
    area = AdminArea.objects.filter(code=payload.area).first()
    if area is None:
        raise duty.Invalid(f"unknown area {payload.area!r}")
    shift = duty.create_shift(
        request.user,
        area=area,
        start=payload.start,
        end=payload.end,
        duty_officer=_person(payload.duty_officer),
        leader_on_call=_person(payload.leader_on_call),
        note=payload.note,
    )
    return Status(201, shift_out(duty.shift_for(request.user, shift.pk)))


@router.get("/duty/shifts/{int:pk}/handover", response=dict[str, Any], summary="The shift's handover log")
def list_handover(request: HttpRequest, pk: int, paging: Query[PageParams]):
    shift = duty.shift_for(request.user, pk)
    return page(duty.handover_for(request.user, shift), paging, handover_out)


class HandoverIn(Schema):
    text: str = Field(min_length=1, max_length=10000)
    open_items: list[str] = Field(default_factory=list, max_length=100)


@router.post(
    "/duty/shifts/{int:pk}/handover", response={201: dict[str, Any]}, summary="Append to the handover log"
)
def add_handover(request: HttpRequest, pk: int, payload: HandoverIn):
    duty.shift_for(request.user, pk)
    _need(request.user, HandoverEntry, "add")
    shift = duty.shift_for(request.user, pk, "change")
    return Status(201, handover_out(duty.add_handover(shift, request.user, payload.text, payload.open_items)))


@router.get("/duty/screen", response=dict[str, Any], summary="The duty screen")
def duty_screen(request: HttpRequest):
    """Open incidents (not closed or cancelled), upward reports past their deadline, today's roster (the
    local day) and who is on watch now, and the active command posts."""
    from citywatch.incidents.api import incident_out

    data = duty.duty_screen(request.user, timezone.now())
    return {
        "now": _iso(timezone.localtime(data["now"])),
        "open_incidents": [incident_out(i, with_area=False) for i in data["open_incidents"]],
        "overdue_reports": [
            {
                "incident": r.incident.pk,
                "title": r.incident.title,
                "report": r.report,
                "due_at": _iso(r.due_at),
            }
            for r in data["overdue_reports"]
        ],
        "today_roster": [shift_out(s) for s in data["today_roster"]],
        "on_duty": [shift_out(s) for s in data["on_duty"]],
        "command_posts": [post_out(p) for p in data["command_posts"]],
    }
