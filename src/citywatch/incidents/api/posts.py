"""Forward command posts: the active ones (JSON or GeoJSON for the map), an incident's post, establishing
and closing it. Only a verified, open incident gets a post, one active at a time (409 otherwise)."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from citywatch.core.pagination import feature, geojson
from citywatch.incidents import actions, queries
from citywatch.incidents.api.schemas import CloseIn, PostIn, PostList, PostOut
from citywatch.incidents.models import CommandPost

router = Router(tags=["command posts"])


@router.get(
    "/incidents/command-posts",
    response=geojson(PostOut) | PostList,
    summary="Active command posts (for the map)",
)
def list_posts(request: HttpRequest, format: Literal["json", "geojson"] = "geojson"):
    posts = list(queries.posts_for(request.user).filter(closed_at__isnull=True))
    if format == "geojson":
        return {
            "type": "FeatureCollection",
            "numberMatched": len(posts),
            "numberReturned": len(posts),
            "features": [feature(post, post.location) for post in posts],
        }
    return {"items": posts, "count": len(posts)}


@router.get("/incidents/{int:pk}/command-post", response=PostOut, summary="The incident's command post")
def get_post(request: HttpRequest, pk: int):
    """The active post, else the latest closed one; 404 if the incident never had one."""
    return queries.post_of(request.user, pk)


@router.post(
    "/incidents/{int:pk}/command-post", response={201: PostOut}, summary="Establish the command post"
)
def establish(request: HttpRequest, pk: int, payload: PostIn):
    """Only for a verified, open incident (409 otherwise); a second active post answers 409. The answer
    shows the minutes from verification against the target (CITYWATCH_COMMAND_POST_TARGET_MINUTES)."""
    incident = queries.incident_for(request.user, pk, adding=CommandPost)
    post = actions.establish_post(
        incident,
        request.user,
        lon=payload.lon,
        lat=payload.lat,
        crs=payload.crs,
        leader=queries.person(payload.leader),
        members=[m.model_dump() for m in payload.members],
        communications=payload.communications,
        established_at=payload.established_at,
    )
    return Status(201, post)


@router.post("/incidents/{int:pk}/command-post/close", response=PostOut, summary="Close the command post")
def close(request: HttpRequest, pk: int, payload: CloseIn | None = None):
    post = queries.record_of(request.user, pk, CommandPost, "change", closed_at__isnull=True)
    return actions.close_post(post, request.user, payload.note if payload else "")
