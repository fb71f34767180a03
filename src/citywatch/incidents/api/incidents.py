"""Incidents and their lifecycle: list, report, read, edit, move on, record upward reports, and the
resources nearest by travel time."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router
from ninja.responses import Status

from citywatch.core import access
from citywatch.core.pagination import PageParams, feature, feature_collection, geojson, page, paged
from citywatch.incidents import actions, queries
from citywatch.incidents.api.schemas import (
    IncidentDetail,
    IncidentIn,
    IncidentNearbyOut,
    IncidentNearbyOwn,
    IncidentOut,
    IncidentPatch,
    LocatedOut,
    LocateParams,
    OverdueOut,
    ReachOut,
    ReachParams,
    ReportIn,
    TransitionIn,
)
from citywatch.incidents.choices import preferred_team_types
from citywatch.incidents.filters import IncidentFilter
from citywatch.incidents.models import Incident
from citywatch.resources.nearby import NearbyParams, nearby_json

router = Router(tags=["incidents"])


@router.get("/incidents/", response=paged(IncidentOut) | geojson(IncidentOut), summary="List incidents")
def list_incidents(
    request: HttpRequest,
    filters: Query[IncidentFilter],
    paging: Query[PageParams],
    format: Literal["json", "geojson"] = "json",
):
    """Incidents in your jurisdiction, newest first. ``format=geojson`` answers a FeatureCollection of
    their locations."""
    access.require(request.user, Incident, "view")
    qs = filters.filter(queries.incidents_for(request.user)).defer("affected_area")
    if format == "geojson":
        return feature_collection(qs, paging, lambda i: feature(i, i.location))
    return page(qs, paging)


@router.post("/incidents/", response={201: IncidentDetail}, summary="Report an incident")
def create_incident(request: HttpRequest, payload: IncidentIn):
    """The area is found from the location; a location outside every district is accepted, filed under
    the city with ``outside_city: true``. For accident disasters the severity, if omitted, is the grade
    by deaths, serious injuries and direct loss (Order 493)."""
    access.require(request.user, Incident, "add")
    return Status(201, actions.create_incident(request.user, payload.fields()))


@router.get(
    "/incidents/overdue-reports", response=list[OverdueOut], summary="Upward reports past their deadline"
)
def overdue(request: HttpRequest):
    access.require(request.user, Incident, "view")
    return queries.overdue_reports(request.user, timezone.now())


@router.get("/incidents/locate", response=LocatedOut, summary="Where a reported location lies")
def locate(request: HttpRequest, params: Query[LocateParams]):
    """The area a location falls in, whether it lies outside the city or in the sea (the pages ask to
    confirm such a location) and, outside the city, the nearest maritime search-and-rescue sub-centres.
    A point outside China or at (0, 0) answers 422."""
    access.require(request.user, Incident, "add")
    return queries.locate_point(request.user, params.lon, params.lat, params.crs)


@router.get("/incidents/{int:pk}", response=IncidentDetail, summary="One incident")
def get_incident(request: HttpRequest, pk: int):
    return queries.incident_for(request.user, pk)


@router.patch("/incidents/{int:pk}", response=IncidentDetail, summary="Change an incident's fields")
def patch_incident(request: HttpRequest, pk: int, payload: IncidentPatch):
    """Only while the incident is open; a stale ``version`` answers 409."""
    incident = queries.incident_for(request.user, pk, "change")
    return actions.update_incident(incident, request.user, payload.fields(), payload.version)


@router.post("/incidents/{int:pk}/transitions", response=IncidentDetail, summary="Move an incident on")
def transition_incident(request: HttpRequest, pk: int, payload: TransitionIn):
    """verify, respond, stabilise, close; cancel (false report) from reported or verified; reopen (with a
    reason) from closed or cancelled. Illegal from the current state, or a stale version: 409."""
    incident = queries.incident_for(request.user, pk, "change")
    return actions.transition(incident, payload.action, request.user, payload.reason, payload.version)


@router.post("/incidents/{int:pk}/reports", response=IncidentDetail, summary="Record an upward report")
def record_report(request: HttpRequest, pk: int, payload: ReportIn):
    """The first (quick) report, then the written one, once the incident is verified."""
    incident = queries.incident_for(request.user, pk, "change")
    return actions.record_report(incident, payload.report, request.user, payload.version, payload.note)


@router.get(
    "/incidents/{int:pk}/nearby", response=IncidentNearbyOut, summary="Resources nearest the incident"
)
def incident_nearby(request: HttpRequest, pk: int, params: Query[NearbyParams]):
    """The nearby analysis (``GET /nearby``, ``resources.nearby``) at the incident's location."""
    incident = queries.incident_for(request.user, pk)
    # The JSON of NearbyOut from the same prepared candidates and kept answers as ``GET /nearby`` (the
    # one-map asks again at every refresh), then the incident's own two fields.
    body = nearby_json(request.user, incident.location.x, incident.location.y, params)
    own = IncidentNearbyOwn(incident=incident.pk, preferred_team_types=preferred_team_types(incident))
    return HttpResponse(
        body[:-1] + b"," + own.model_dump_json().encode()[1:], content_type="application/json; charset=utf-8"
    )


@router.get(
    "/incidents/{int:pk}/reach", response=ReachOut, summary="Population within a travel time of the incident"
)
def incident_reach(request: HttpRequest, pk: int, params: Query[ReachParams]):
    """The area reachable from the incident within ``minutes`` (by road, else estimated), the persons
    inside it and how they fall among the districts."""
    incident = queries.incident_for(request.user, pk)
    return queries.reach(incident, params.minutes)
