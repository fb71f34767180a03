"""Incident command API under /api/v1/incidents/.

Every incident endpoint starts from ``Incident.objects.restrict(user, action)``: an incident outside the
caller's jurisdiction answers 404. State changes go through ``actions``; an illegal transition, a stale
``version``, a deployed team or a shipment larger than the stock answers 409.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from citywatch.core import inputs
from citywatch.core.access import NOT_ALLOWED
from citywatch.core.models import User
from citywatch.core.pagination import PageParams, feature_collection, geometry_json, page
from citywatch.incidents import actions, queries
from citywatch.incidents.choices import Severity
from citywatch.incidents.filters import IncidentFilter
from citywatch.incidents.models import Dispatch, Incident, IncidentLog, Participant, SupplyRequest, Task
from citywatch.resources.nearby import NearbyOut, NearbyParams, nearby

router = Router(tags=["incidents"])

SEVERITY_LABELS = dict(Severity.choices)


def _need(user, model, action: str) -> None:
    opts = model._meta
    if not user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
        raise PermissionDenied(_(NOT_ALLOWED[action]) % {"things": opts.verbose_name_plural})


def _person(username: str | None, incident: Incident | None = None):
    """The active user named ``username`` (None for none). With ``incident``: only someone whose
    jurisdiction covers it — the people the one-map offers — may be given a role, a task or an order."""
    if not username:
        return None
    person = User.objects.filter(username=username, is_active=True).first()
    if person is None:
        raise actions.Invalid(_("unknown user %(name)s") % {"name": repr(username)})
    if incident is not None and not queries.people_covering(incident).filter(pk=person.pk).exists():
        raise actions.Invalid(
            _("%(name)s does not work where the incident is (their jurisdiction does not cover it)")
            % {"name": username}
        )
    return person


def _iso(value):
    return value.isoformat() if value else None


# --- Incidents ------------------------------------------------------------------------------------


def incident_out(incident: Incident, with_area: bool = True) -> dict[str, Any]:
    first = datetime.timedelta(minutes=actions.first_report_minutes())
    written = datetime.timedelta(minutes=actions.written_report_minutes())
    verified = incident.verified_at
    return {
        "id": incident.pk,
        "title": incident.title,
        "category": incident.category,
        "type": incident.type,
        "severity": incident.severity,
        "severity_label": str(SEVERITY_LABELS[incident.severity]),
        "proposed_severity": actions.proposed_severity(incident),
        "description": incident.description,
        "lon": incident.location.x,
        "lat": incident.location.y,
        "affected_area": geometry_json(incident.affected_area) if with_area else None,
        "area": {"code": incident.area.code, "name": incident.area.name, "level": incident.area.level},
        "outside_city": incident.outside_city,
        "reported_via": incident.reported_via,
        "exercise": incident.exercise,
        "deaths": incident.deaths,
        "serious_injuries": incident.serious_injuries,
        "injuries": incident.injuries,
        "missing": incident.missing,
        "direct_loss_cny": str(incident.direct_loss_cny),
        "status": incident.status,
        "version": incident.version,
        **{name: _iso(getattr(incident, name)) for name in actions.STATE_TIMESTAMP.values()},
        "first_report_at": _iso(incident.first_report_at),
        "written_report_at": _iso(incident.written_report_at),
        "first_report_due_at": _iso(verified + first) if verified else None,
        "written_report_due_at": _iso(verified + written) if verified else None,
        "allowed_actions": sorted(a for (s, a) in actions.TRANSITIONS if s == incident.status),
    }


def incident_feature(incident: Incident) -> dict:
    props = incident_out(incident, with_area=False)
    props.pop("affected_area")
    return {
        "type": "Feature",
        "id": incident.pk,
        "geometry": geometry_json(incident.location),
        "properties": props,
    }


class IncidentIn(Schema):
    title: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=32)
    type: str | None = Field(None, max_length=32)
    severity: str | None = Field(None, max_length=2, description="1 (特别重大) … 4 (一般); omitted: proposed")
    description: str | None = Field(None, max_length=10000)
    lon: float | None = None
    lat: float | None = None
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    affected_area: dict[str, Any] | None = Field(None, description="GeoJSON Polygon or MultiPolygon")
    reported_via: str | None = Field(None, max_length=16)
    exercise: bool | None = None
    deaths: int | None = Field(None, ge=0, le=10_000_000)
    serious_injuries: int | None = Field(None, ge=0, le=10_000_000)
    injuries: int | None = Field(None, ge=0, le=10_000_000)
    missing: int | None = Field(None, ge=0, le=10_000_000)
    direct_loss_cny: Decimal | None = Field(None, ge=0, lt=Decimal("1e14"))


class IncidentPatch(IncidentIn):
    version: int | None = Field(None, ge=1, description="the version you edited; a newer one answers 409")


def _body(payload: IncidentIn) -> dict:
    data = payload.model_dump(exclude_unset=True)
    data.pop("version", None)
    if data.get("crs") == "wgs84" and "lon" not in data:
        data.pop("crs", None)
    return {k: v for k, v in data.items() if v is not None or k == "affected_area"}


@router.get("/incidents/", response=dict[str, Any], summary="List incidents")
def list_incidents(
    request: HttpRequest,
    filters: Query[IncidentFilter],
    paging: Query[PageParams],
    format: Literal["json", "geojson"] = "json",
):
    qs = filters.filter(queries.incidents_for(request.user)).defer("affected_area")
    if format == "geojson":
        return feature_collection(qs, paging, incident_feature)
    return page(qs, paging, lambda i: incident_out(i, with_area=False))


@router.post("/incidents/", response={201: dict[str, Any]}, summary="Report an incident")
def create_incident(request: HttpRequest, payload: IncidentIn):
    """The area is found from the location; a location outside every district is accepted, filed under
    the city with ``outside_city: true``. For accident disasters the severity, if omitted, is the grade
    by deaths, serious injuries and direct loss (Order 493)."""
    _need(request.user, Incident, "add")
    incident = actions.create_incident(request.user, _body(payload))
    return Status(201, incident_out(queries.incident_for(request.user, incident.pk)))


class OverdueOut(Schema):
    incident: int
    title: str
    report: str
    due_at: datetime.datetime


@router.get(
    "/incidents/overdue-reports", response=list[OverdueOut], summary="Upward reports past their deadline"
)
def overdue(request: HttpRequest):

    return [
        {"incident": r.incident.pk, "title": r.incident.title, "report": r.report, "due_at": r.due_at}
        for r in queries.overdue_reports(request.user, timezone.now())
    ]


@router.get("/incidents/{int:pk}", response=dict[str, Any], summary="One incident")
def get_incident(request: HttpRequest, pk: int):
    return incident_out(queries.incident_for(request.user, pk))


@router.patch("/incidents/{int:pk}", response=dict[str, Any], summary="Change an incident's fields")
def patch_incident(request: HttpRequest, pk: int, payload: IncidentPatch):
    queries.incident_for(request.user, pk)
    _need(request.user, Incident, "change")
    incident = queries.incident_for(request.user, pk, "change")
    actions.update_incident(incident, request.user, _body(payload), payload.version)
    return incident_out(queries.incident_for(request.user, pk))


class TransitionIn(Schema):
    action: str = Field(max_length=32, description=", ".join(actions.ACTIONS))
    reason: str = Field("", max_length=2000)
    version: int | None = Field(None, ge=1)


@router.post("/incidents/{int:pk}/transitions", response=dict[str, Any], summary="Move an incident on")
def transition_incident(request: HttpRequest, pk: int, payload: TransitionIn):
    """verify, respond, stabilise, close; cancel (false report) from reported or verified; reopen (with a
    reason) from closed or cancelled. Illegal from the current state, or a stale version: 409."""
    queries.incident_for(request.user, pk)
    _need(request.user, Incident, "change")
    incident = queries.incident_for(request.user, pk, "change")
    actions.transition(incident, payload.action, request.user, payload.reason, payload.version)
    return incident_out(queries.incident_for(request.user, pk))


class ReportIn(Schema):
    report: Literal["first", "written"]
    note: str = Field("", max_length=2000)
    version: int | None = Field(None, ge=1)


@router.post("/incidents/{int:pk}/reports", response=dict[str, Any], summary="Record an upward report")
def record_report(request: HttpRequest, pk: int, payload: ReportIn):
    queries.incident_for(request.user, pk)
    _need(request.user, Incident, "change")
    incident = queries.incident_for(request.user, pk, "change")
    actions.record_report(incident, payload.report, request.user, payload.version, payload.note)
    return incident_out(queries.incident_for(request.user, pk))


class IncidentNearbyOut(NearbyOut):
    incident: int


@router.get(
    "/incidents/{int:pk}/nearby", response=IncidentNearbyOut, summary="Resources nearest the incident"
)
def incident_nearby(request: HttpRequest, pk: int, params: Query[NearbyParams]):
    """The nearby analysis (``GET /nearby``, ``resources.nearby``) at the incident's location."""
    incident = queries.incident_for(request.user, pk)
    answer = nearby(request.user, incident.location.x, incident.location.y, params)
    return {"incident": incident.pk, **vars(answer)}


# --- The log --------------------------------------------------------------------------------------


def log_out(entry: IncidentLog) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "time": entry.time.isoformat(),
        "author": entry.author.username if entry.author_id else None,
        "author_name": entry.author.display_name if entry.author_id else None,
        "kind": entry.kind,
        "text": entry.text,
        "data": entry.data,
    }


@router.get("/incidents/{int:pk}/log", response=dict[str, Any], summary="The incident log")
def get_log(request: HttpRequest, pk: int, paging: Query[PageParams]):
    incident = queries.incident_for(request.user, pk)
    return page(queries.log_for(request.user, incident), paging, log_out)


class NoteIn(Schema):
    text: str = Field(min_length=1, max_length=4000)


@router.post("/incidents/{int:pk}/log", response={201: dict[str, Any]}, summary="Add a note to the log")
def post_note(request: HttpRequest, pk: int, payload: NoteIn):
    queries.incident_for(request.user, pk)
    _need(request.user, IncidentLog, "add")
    incident = queries.incident_for(request.user, pk, "change")
    return Status(201, log_out(actions.add_note(incident, request.user, payload.text)))


# --- Dispatches -----------------------------------------------------------------------------------


def dispatch_out(d: Dispatch) -> dict[str, Any]:
    return {
        "id": d.pk,
        "incident": d.incident_id,
        "team": {"id": d.team_id, "name": d.team.name, "status": d.team.status},
        "assigned_to": d.assigned_to.username if d.assigned_to_id else None,
        "assigned_to_name": d.assigned_to.display_name if d.assigned_to_id else None,
        "status": d.status,
        "eta_s": d.eta_s,
        "eta_method": d.eta_method,
        "note": d.note,
        "requested_at": _iso(d.requested_at),
        **{name: _iso(getattr(d, name)) for name in actions.DISPATCH_TIMESTAMP.values()},
        "allowed_actions": sorted(a for (s, a) in actions.DISPATCH_TRANSITIONS if s == d.status),
    }


def _dispatch_scope(request, pk: int):
    """Dispatches of incident ``pk`` the caller may see. Team leaders see dispatches without seeing the
    incident record; everyone else must see the incident (404 otherwise)."""
    user = request.user
    qs = queries.dispatches_for(user).filter(incident_id=pk)
    if user.has_perm("incidents.view_incident"):
        queries.incident_for(user, pk)
    elif not qs.exists():
        raise Http404("no such incident in your jurisdiction")
    return qs


@router.get("/incidents/{int:pk}/dispatches", response=list[dict[str, Any]], summary="Teams dispatched")
def list_dispatches(request: HttpRequest, pk: int):
    return [dispatch_out(d) for d in _dispatch_scope(request, pk)]


class DispatchIn(Schema):
    team: int = Field(ge=1, le=2**31 - 1)
    assigned_to: str | None = Field(None, max_length=150, description="username of the team leader")
    note: str = Field("", max_length=200)


@router.post("/incidents/{int:pk}/dispatches", response={201: dict[str, Any]}, summary="Dispatch a team")
def create_dispatch(request: HttpRequest, pk: int, payload: DispatchIn):
    """The team must be available and in your jurisdiction (404 otherwise); a deployed or unavailable
    team answers 409. The team becomes deployed at once."""
    queries.incident_for(request.user, pk)
    _need(request.user, Dispatch, "add")
    incident = queries.incident_for(request.user, pk, "change")
    dispatch = actions.request_dispatch(
        incident, payload.team, request.user, _person(payload.assigned_to, incident), payload.note
    )
    return Status(201, dispatch_out(queries.dispatch_for(request.user, pk, dispatch.pk)))


class MoveIn(Schema):
    action: str = Field(max_length=32)
    note: str = Field("", max_length=200)


@router.post(
    "/incidents/{int:pk}/dispatches/{int:did}/transitions",
    response=dict[str, Any],
    summary="Move a dispatch on",
)
def move_dispatch(request: HttpRequest, pk: int, did: int, payload: MoveIn):
    """accept / decline (from requested), depart, arrive, release. The assigned team leader answers the
    order (accept, decline, depart, arrive); the command releases. The team's status follows."""
    queries.dispatch_for(request.user, pk, did)
    _need(request.user, Dispatch, "change")
    dispatch = queries.dispatch_for(request.user, pk, did, "change")
    actions.dispatch_transition(dispatch, payload.action, request.user, payload.note)
    return dispatch_out(queries.dispatch_for(request.user, pk, did))


# --- Supply requests ------------------------------------------------------------------------------


def supply_out(r: SupplyRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "incident": r.incident_id,
        "depot": {"id": r.depot_id, "name": r.depot.name},
        "item": r.item.code,
        "item_name": r.item.name,
        "unit": r.item.unit,
        "quantity_requested": str(r.quantity_requested),
        "quantity_approved": str(r.quantity_approved),
        "quantity_shipped": str(r.quantity_shipped),
        "quantity_received": str(r.quantity_received),
        "status": r.status,
        "note": r.note,
        "requested_at": _iso(r.requested_at),
        **{name: _iso(getattr(r, name)) for name in actions.SUPPLY_TIMESTAMP.values()},
        "ledger_reference": f"INC-{r.incident_id}",
    }


@router.get("/incidents/{int:pk}/supply-requests", response=list[dict[str, Any]], summary="Supply requests")
def list_supply(request: HttpRequest, pk: int):
    incident = queries.incident_for(request.user, pk)
    return [supply_out(r) for r in queries.supply_requests_for(request.user).filter(incident=incident)]


class SourcesIn(Schema):
    item: str = Field(max_length=32, description="supply item code")
    quantity: Decimal | None = Field(None, gt=0, lt=Decimal("1e10"), description="only depots with this much")
    limit: int = Field(20, ge=1, le=200)


@router.get(
    "/incidents/{int:pk}/supply-sources", response=dict[str, Any], summary="Depots that can give an item"
)
def supply_sources(request: HttpRequest, pk: int, params: Query[SourcesIn]):
    """The depots in your jurisdiction that can still give ``item`` (balance less what approved requests
    have yet to ship) — at least ``quantity`` of it if given —, nearest to the incident by travel time
    first; depots without a location last."""
    import numpy as np

    from citywatch.geo import routing
    from citywatch.resources.models import Depot, StockBalance, SupplyItem

    incident = queries.incident_for(request.user, pk)
    _need(request.user, StockBalance, "view")  # it tells what each depot holds
    item = SupplyItem.objects.filter(code=params.item).first()
    if item is None:
        raise actions.Invalid(_("unknown supply item %(code)s") % {"code": repr(params.item)})
    visible = Depot.objects.restrict(request.user, "view")
    stock = actions.available_by_depot(item, visible.values("pk"))
    enough = params.quantity or Decimal("0.001")
    rows = [
        {"depot": depot, "balance": stock[depot.pk][0], "available": stock[depot.pk][2]}
        for depot in visible.filter(pk__in=[k for k, v in stock.items() if v[2] >= enough]).only(
            "pk", "name", "location"
        )
    ]
    located = [r for r in rows if r["depot"].location is not None]
    if located:
        lonlat = np.array([(r["depot"].location.x, r["depot"].location.y) for r in located], dtype=float)
        origin = (incident.location.x, incident.location.y)
        try:
            hits = routing.get_engine().nearest_by_time(origin, lonlat, "to", 24 * 3600.0, None).results
        except (routing.RoutingError, ValueError, OSError):
            hits = []  # the depots are still listed, without an ETA
        for hit in hits:
            located[hit.index].update(
                eta_s=round(hit.eta_s, 1), distance_m=round(hit.distance_m, 1), eta_method=hit.eta_method
            )
    rows.sort(key=lambda r: (r.get("eta_s") is None, r.get("eta_s") or 0, -r["available"], r["depot"].pk))
    return {
        "item": {"code": item.code, "name": item.name, "unit": item.unit},
        "items": [
            {
                "id": r["depot"].pk,
                "name": r["depot"].name,
                "balance": str(r["balance"]),
                "available": str(r["available"]),
                "eta_s": r.get("eta_s"),
                "distance_m": r.get("distance_m"),
                "eta_method": r.get("eta_method"),
            }
            for r in rows[: params.limit]
        ],
    }


class SupplyIn(Schema):
    depot: int = Field(ge=1, le=2**31 - 1)
    item: str = Field(max_length=32, description="supply item code")
    quantity: Decimal = Field(gt=0, lt=Decimal("1e10"))
    note: str = Field("", max_length=200)


@router.post(
    "/incidents/{int:pk}/supply-requests", response={201: dict[str, Any]}, summary="Request supplies"
)
def create_supply(request: HttpRequest, pk: int, payload: SupplyIn):
    """A quantity larger than the depot can still give answers 409 and writes nothing (see
    ``supply-sources`` for what each depot can give)."""
    queries.incident_for(request.user, pk)
    _need(request.user, SupplyRequest, "add")
    incident = queries.incident_for(request.user, pk, "change")
    r = actions.request_supply(
        incident, request.user, payload.depot, payload.item, payload.quantity, payload.note
    )
    return Status(201, supply_out(queries.supply_requests_for(request.user).get(pk=r.pk)))


class SupplyMoveIn(Schema):
    action: str = Field(max_length=32, description=", ".join(actions.SUPPLY_ACTIONS))
    quantity: Decimal | None = Field(None, gt=0, lt=Decimal("1e10"))
    note: str = Field("", max_length=200)


@router.post(
    "/incidents/{int:pk}/supply-requests/{int:sid}/transitions",
    response=dict[str, Any],
    summary="Approve, ship (partly), receive, reject or cancel a supply request",
)
def move_supply(request: HttpRequest, pk: int, sid: int, payload: SupplyMoveIn):
    queries.incident_for(request.user, pk)
    _need(request.user, SupplyRequest, "change")
    r = queries.supply_requests_for(request.user, "change").filter(incident_id=pk, pk=sid).first()
    if r is None:
        raise Http404("no such supply request")
    actions.supply_transition(r, payload.action, request.user, payload.quantity, payload.note)
    return supply_out(queries.supply_requests_for(request.user).get(pk=sid))


# --- Participants and tasks -----------------------------------------------------------------------


def participant_out(p: Participant) -> dict[str, Any]:
    return {
        "id": p.pk,
        "user": p.user.username,
        "user_name": p.user.display_name,
        "role": p.role,
        "started_at": _iso(p.started_at),
        "ended_at": _iso(p.ended_at),
        "active": p.ended_at is None,
    }


@router.get("/incidents/{int:pk}/participants", response=list[dict[str, Any]], summary="Command roles")
def list_participants(request: HttpRequest, pk: int):
    incident = queries.incident_for(request.user, pk)
    return [participant_out(p) for p in queries.participants_for(request.user).filter(incident=incident)]


class ParticipantIn(Schema):
    user: str = Field(min_length=1, max_length=150, description="username")
    role: str = Field(max_length=16)


@router.post(
    "/incidents/{int:pk}/participants", response={201: dict[str, Any]}, summary="Give someone a role"
)
def add_participant(request: HttpRequest, pk: int, payload: ParticipantIn):
    queries.incident_for(request.user, pk)
    _need(request.user, Participant, "add")
    incident = queries.incident_for(request.user, pk, "change")
    p = actions.add_participant(incident, request.user, _person(payload.user, incident), payload.role)
    return Status(201, participant_out(p))


@router.post("/incidents/{int:pk}/participants/{int:ppk}/end", response=dict[str, Any], summary="End a role")
def end_participant(request: HttpRequest, pk: int, ppk: int):
    queries.incident_for(request.user, pk)
    _need(request.user, Participant, "change")
    p = queries.participants_for(request.user, "change").filter(incident_id=pk, pk=ppk).first()
    if p is None:
        raise Http404("no such participant")
    return participant_out(actions.end_participant(p, request.user))


def task_out(t: Task) -> dict[str, Any]:
    return {
        "id": t.pk,
        "title": t.title,
        "owner": t.owner.username if t.owner_id else None,
        "owner_name": t.owner.display_name if t.owner_id else None,
        "due_at": _iso(t.due_at),
        "status": t.status,
        "done_at": _iso(t.done_at),
        "cancelled_at": _iso(t.cancelled_at),
    }


@router.get("/incidents/{int:pk}/tasks", response=list[dict[str, Any]], summary="Tasks")
def list_tasks(request: HttpRequest, pk: int):
    incident = queries.incident_for(request.user, pk)
    return [task_out(t) for t in queries.tasks_for(request.user).filter(incident=incident)]


class TaskIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    owner: str | None = Field(None, max_length=150, description="username")
    due_at: datetime.datetime | None = Field(
        None, description="ISO 8601; without an offset it is read in the city's time zone (TIME_ZONE)"
    )


@router.post("/incidents/{int:pk}/tasks", response={201: dict[str, Any]}, summary="Add a task")
def add_task(request: HttpRequest, pk: int, payload: TaskIn):
    queries.incident_for(request.user, pk)
    _need(request.user, Task, "add")
    incident = queries.incident_for(request.user, pk, "change")
    due = inputs.aware(payload.due_at, _("the due time"))
    task = actions.create_task(incident, request.user, payload.title, _person(payload.owner, incident), due)
    return Status(201, task_out(task))


class TaskMoveIn(Schema):
    action: Literal["done", "cancel", "reopen"]


@router.post(
    "/incidents/{int:pk}/tasks/{int:tid}/transitions", response=dict[str, Any], summary="Move a task on"
)
def move_task(request: HttpRequest, pk: int, tid: int, payload: TaskMoveIn):
    queries.incident_for(request.user, pk)
    _need(request.user, Task, "change")
    task = queries.tasks_for(request.user, "change").filter(incident_id=pk, pk=tid).first()
    if task is None:
        raise Http404("no such task")
    return task_out(actions.task_transition(task, payload.action, request.user))
