"""Pages of incident command: the list, the report form, the one-map and the team leader's phone page.

Reads go through ``queries`` (jurisdiction applied); every change goes through ``actions`` (the one-map's
buttons call the JSON API, which does the same)."""

from __future__ import annotations

from urllib.parse import quote

from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from citywatch.core import access, pages
from citywatch.core.choices import AreaLevel, Role
from citywatch.core.errors import ActionError
from citywatch.core.models import AdminArea
from citywatch.geo import crs
from citywatch.geo.distance import haversine_m
from citywatch.incidents import actions, queries
from citywatch.incidents.choices import (
    Category,
    DispatchStatus,
    IncidentStatus,
    IncidentType,
    LogKind,
    ParticipantRole,
    ReportedVia,
    Severity,
    SupplyStatus,
    TaskStatus,
    preferred_team_types,
)
from citywatch.incidents.filters import IncidentFilter
from citywatch.incidents.models import Dispatch, ExpertSummons, Incident, Participant, Task
from citywatch.resources.choices import Availability, ShelterStatus, TeamKind

PAGE_SIZE = 50
FORM_FIELDS = (
    "title",
    "category",
    "type",
    "severity",
    "description",
    "lon",
    "lat",
    "crs",
    "reported_via",
    "deaths",
    "serious_injuries",
    "injuries",
    "missing",
    "people_trapped",
    "caller_name",
    "caller_phone",
    "occurred_at",
)
COUNTS = ("deaths", "serious_injuries", "injuries", "missing", "people_trapped")


def _labels() -> dict:
    """Translated labels the page's script needs (it never builds HTML from them)."""
    return {
        "incident_status": {v: str(label) for v, label in IncidentStatus.choices},
        "dispatch_status": {v: str(label) for v, label in DispatchStatus.choices},
        "log_kind": {v: str(label) for v, label in LogKind.choices},
        "supply_status": {v: str(label) for v, label in SupplyStatus.choices},
        "supply_actions": actions.SUPPLY.moves(),
        "dispatch_actions": actions.DISPATCH.lifecycle.moves(),
        "summons_actions": actions.SUMMONS.lifecycle.moves(),
        "participant_role": {v: str(label) for v, label in ParticipantRole.choices},
        "task_status": {v: str(label) for v, label in TaskStatus.choices},
        "task_actions": actions.TASKS.moves(),
        "availability": {v: str(label) for v, label in Availability.choices},
        "team_type": {v: str(label) for v, label in TeamKind.choices},
        "shelter_status": {v: str(label) for v, label in ShelterStatus.choices},
    }


# What the one-map offers: each flag is whether the user's role may take that action.
ABILITIES = {
    "can_change": (Incident, "change"),
    "can_dispatch": (Dispatch, "add"),
    "can_summon": (ExpertSummons, "add"),
    "can_move_summons": (ExpertSummons, "change"),
    "can_view_summons": (ExpertSummons, "view"),
    "can_add_participant": (Participant, "add"),
    "can_end_participant": (Participant, "change"),
    "can_add_task": (Task, "add"),
    "can_move_task": (Task, "change"),
}


def incident_list(request):
    access.require(request.user, Incident, "view")
    listing = pages.listing(
        request, IncidentFilter, queries.incidents_for(request.user).defer("affected_area"), PAGE_SIZE
    )
    page, raw, warning = listing.page, listing.raw, listing.warning
    return render(
        request,
        "incidents/list.html",
        {
            "page": page,
            "raw": raw,
            "warning": warning,
            "statuses": IncidentStatus.choices,
            "categories": Category.choices,
            "types": IncidentType.choices,
            "severities": Severity.choices,
            "can_add": access.can(request.user, Incident, "add"),
            "onemap_data": {"labels": _labels()},
        },
    )


class LocationUnconfirmed(Exception):
    """The report form's location lies in the sea or outside the city and was not confirmed yet."""


def incident_new(request):
    access.require(request.user, Incident, "add")
    values = {"crs": "wgs84", "reported_via": ReportedVia.PHONE, "severity": ""}
    error = None
    confirm = None
    status = 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "").strip() for name in FORM_FIELDS}
        values["exercise"] = request.POST.get("exercise") in ("1", "on", "true")
        data = {
            "title": values["title"],
            "category": values["category"] or None,
            "type": values["type"] or None,
            "description": values["description"],
            "lon": values["lon"] or None,
            "lat": values["lat"] or None,
            "crs": values["crs"] or "wgs84",
            "reported_via": values["reported_via"] or None,
            "exercise": values["exercise"],
        }
        if values["severity"]:
            data["severity"] = values["severity"]
        for name in (*COUNTS, "caller_name", "caller_phone", "occurred_at"):
            if values[name]:
                data[name] = values[name]
        data = {k: v for k, v in data.items() if v is not None or k in ("lon", "lat")}
        values["confirm_location"] = request.POST.get("confirm_location") == "1"
        try:
            # A location in the sea or outside the city is reported only once the officer confirms it.
            if data.get("lon") and data.get("lat") and not values["confirm_location"]:
                located = queries.locate_point(request.user, data["lon"], data["lat"], data["crs"])
                if located.outside_city:
                    confirm = located
                    raise LocationUnconfirmed
            incident = actions.create_incident(request.user, data)
        except LocationUnconfirmed:
            status = 422
        except ActionError as exc:
            error, status = str(exc), 422
        except (ValueError, TypeError, ArithmeticError) as exc:
            error, status = str(exc) or _("Invalid input."), 422
        else:
            return redirect("incident", pk=incident.pk)
    return render(
        request,
        "incidents/new.html",
        {
            "values": values,
            "error": error,
            "confirm": confirm,
            "categories": Category.choices,
            "types": IncidentType.choices,
            "severities": Severity.choices,
            "reported_via": ReportedVia.choices,
        },
        status=status,
    )


def incident_detail(request, pk):
    access.require(request.user, Incident, "view")
    incident = queries.incident_for(request.user, pk)
    log = list(queries.log_for(request.user, incident).order_by("-time", "-id")[:200])
    dispatches = list(queries.dispatches_for(request.user).filter(incident=incident))
    people = list(queries.people_covering(incident).order_by("username"))
    user = request.user
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "place": incident.area.place_names() or [incident.area.name],
            "team_leaders": [u for u in people if u.role == Role.TEAM_LEADER],
            "people": people,
            "participant_roles": ParticipantRole.choices,
            "log": log,
            "last_log_id": max((e.pk for e in log), default=0),
            "dispatches": dispatches,
            "types": IncidentType.choices,
            "severities": Severity.choices,
            "occurred_local": timezone.localtime(incident.occurred_at).strftime("%Y-%m-%dT%H:%M")
            if incident.occurred_at
            else "",
            **{name: access.can(user, model, action) for name, (model, action) in ABILITIES.items()},
            "onemap_data": {
                "labels": _labels(),
                "incident": {
                    "id": incident.pk,
                    "lon": incident.location.x,
                    "lat": incident.location.y,
                    "status": incident.status,
                    "version": incident.version,
                    "has_post": queries.posts_for(user).filter(incident=incident).exists(),
                    "allowed_actions": actions.LIFECYCLE.allowed(incident.status),
                    "type": incident.type,
                    "at_sea": incident.at_sea,
                    "preferred_team_types": preferred_team_types(incident),
                },
                "dispatched": [
                    {
                        "id": d.pk,
                        "team": d.team_id,
                        "name": d.team.name,
                        "status": d.status,
                        "lon": d.team.location.x if d.team.location else None,
                        "lat": d.team.location.y if d.team.location else None,
                    }
                    for d in dispatches
                ],
            },
        },
    )


def navigation_links(lon: float, lat: float, label: str) -> dict[str, str]:
    """Links that open a phone's map app at a WGS-84 point: ``geo:`` (any app, WGS-84), Amap (高德,
    GCJ-02) and Baidu (百度, BD-09) — the two Chinese apps expect their own systems, so the point is
    converted by ``geo.crs`` (an unconverted point lands 300–500 m off)."""
    gcj_lon, gcj_lat = (float(v) for v in crs.from_wgs84(lon, lat, crs.CRS.GCJ02))
    bd_lon, bd_lat = (float(v) for v in crs.from_wgs84(lon, lat, crs.CRS.BD09))
    name = quote(label, safe="")
    return {
        "geo": f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({name})",
        "amap": (
            f"https://uri.amap.com/navigation?to={gcj_lon:.6f},{gcj_lat:.6f},{name}"
            "&mode=car&coordinate=gaode&callnative=1"
        ),
        "baidu": (
            f"https://api.map.baidu.com/direction?destination=latlng:{bd_lat:.6f},{bd_lon:.6f}|name:{name}"
            "&coord_type=bd09ll&mode=driving&output=html&src=webapp.citywatch"
        ),
    }


def my_dispatches(request):
    """The team leader's phone page: the orders assigned to them, answered through the dispatch API.

    Each order card says what and where: the order's number and time, the incident's severity, what
    happened (its description), people trapped, who called and their number, its area from the district
    down and its coordinates (WGS-84); links that open the phone's map app (``navigation_links``); the
    straight-line distance from the team's base and the travel time estimated when the order was given. A
    recalled order says so, with the reason."""
    access.require(request.user, Dispatch, "view")
    dispatches = list(
        queries.dispatches_for(request.user)
        .filter(assigned_to=request.user)
        .order_by("-requested_at", "-id")[:100]
    )
    # The names along every incident's area path, read at once; only district and below are shown (the
    # city is the same for every order).
    codes = {code for d in dispatches for code in d.incident.area.path.split(".") if code}
    names = {
        a.code: a.name
        for a in AdminArea.objects.filter(
            code__in=codes, level__in=(AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY)
        ).only("code", "name")
    }
    reports = queries.field_reports_of(dispatches)
    orders = []
    for d in dispatches:
        incident = d.incident
        lon, lat = incident.location.x, incident.location.y
        place = " · ".join(names[c] for c in incident.area.path.split(".") if c in names)
        label = incident.title.replace("(", "（").replace(")", "）")
        links = navigation_links(lon, lat, label)
        order = {
            "d": d,
            "incident": incident,
            "place": place or incident.area.name,
            "lat": f"{lat:.6f}",
            "lon": f"{lon:.6f}",
            "geo_uri": links["geo"],
            "links": links,
            "eta": None,
            "distance": None,
            "reports": reports.get(d.pk, []),
        }
        if d.eta_s is not None:
            minutes = max(1, round(d.eta_s / 60))
            order["eta"] = ngettext("%(minutes)s min", "%(minutes)s min", minutes) % {"minutes": minutes}
        base = d.team.location
        if base is not None:
            km = float(haversine_m(base.x, base.y, lon, lat)) / 1000
            order["distance"] = _("%(km)s km in a straight line") % {"km": f"{km:.1f}"}
        orders.append(order)
    return render(
        request,
        "incidents/my_dispatches.html",
        {
            "orders": orders,
            "onemap_data": {"labels": _labels(), "leader_actions": sorted(actions.LEADER_ACTIONS)},
            "report_max": actions.FIELD_REPORT_MAX,
            "people_max": actions.FIELD_REPORT_MAX_PEOPLE,
        },
    )
