"""Every state change of incidents: reports, the lifecycle, the log, command roles, tasks, response orders
(dispatches here; expert summonses in ``summons.py``, through the same engine) and supply requests. Views
and the API call these; none of them saves an incident object itself.

Each action is atomic, locks the incident row (``select_for_update``) before reading its state, checks
the transition table and (when given) the client's ``expected_version``, and writes one entry to the
incident log; the change log rows come from the model signals in the same transaction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citywatch.core import inputs
from citywatch.core.choices import AreaLevel
from citywatch.core.errors import Conflict, Forbidden, Invalid, NotFound
from citywatch.core.models import AdminArea
from citywatch.core.models.base import differs, scope_of
from citywatch.incidents.choices import (
    TYPE_CATEGORIES,
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
)
from citywatch.incidents.grading import grade_accident
from citywatch.incidents.models import (
    Dispatch,
    Incident,
    IncidentLog,
    Participant,
    ResponseOrder,
    SupplyRequest,
    Task,
)
from citywatch.resources.choices import MovementKind, TeamStatus

# --- Settings -------------------------------------------------------------------------------------


def first_report_minutes() -> int:
    """Minutes after verification by which the first (quick) report is due."""
    return settings.CITYWATCH_FIRST_REPORT_MINUTES


def written_report_minutes() -> int:
    return settings.CITYWATCH_WRITTEN_REPORT_MINUTES


# --- The lifecycle --------------------------------------------------------------------------------

S = IncidentStatus
# (state, action) → new state. Anything not listed is illegal (409).
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.REPORTED, "verify"): S.VERIFIED,
    (S.VERIFIED, "respond"): S.RESPONDING,
    (S.RESPONDING, "stabilise"): S.STABILISED,
    (S.STABILISED, "close"): S.CLOSED,
    (S.REPORTED, "cancel"): S.CANCELLED,
    (S.VERIFIED, "cancel"): S.CANCELLED,
    (S.CLOSED, "reopen"): S.RESPONDING,
    (S.CANCELLED, "reopen"): S.RESPONDING,
}
ACTIONS = tuple(dict.fromkeys(action for _, action in TRANSITIONS))
REASON_REQUIRED = {"reopen"}
STATE_TIMESTAMP = {
    S.REPORTED: "reported_at",
    S.VERIFIED: "verified_at",
    S.RESPONDING: "responding_at",
    S.STABILISED: "stabilised_at",
    S.CLOSED: "closed_at",
    S.CANCELLED: "cancelled_at",
}
OPEN_STATES = {S.REPORTED, S.VERIFIED, S.RESPONDING, S.STABILISED}
# The states in which a response order (a dispatch or a summons) holds its resource.
ACTIVE_DISPATCH = {
    DispatchStatus.REQUESTED,
    DispatchStatus.ACCEPTED,
    DispatchStatus.EN_ROUTE,
    DispatchStatus.ON_SCENE,
}


def _user(user):
    return user if getattr(user, "pk", None) else None


def _unknown_action(action, actions) -> str:
    return _("unknown action %(action)s; use %(actions)s") % {
        "action": repr(action),
        "actions": ", ".join(actions),
    }


def _log(incident: Incident, kind: str, text: str, user=None, data: dict | None = None) -> IncidentLog:
    return IncidentLog.objects.create(
        incident=incident, kind=kind, text=text[:4000], author=_user(user), data=data or {}
    )


# The log is a shared record, shown on the one-map and copied into the situation report: its texts are
# written in the site's language (settings.LANGUAGE_CODE), whoever's request writes them. Each msgid is
# marked with gettext_noop where it is used, for makemessages. Code reads an entry's ``data``, never its
# text. (Error messages, by contrast, answer one request: plain gettext, the request's language.)
WITH_NOTE = gettext_noop("%(entry)s: %(note)s")


def log_text(msgid: str, /, note: str = "", **params) -> str:
    """A log entry's text: ``msgid`` in the site's language, filled with the named ``params``; lazy labels
    among them (``DispatchStatus(value).label``, a field's verbose name) are rendered in that language
    too, and a list as the language lists ("标题、描述"). A free-text ``note`` (a reason, a remark) is
    appended as "entry: note"."""
    with translation.override(settings.LANGUAGE_CODE):
        separator = translation.pgettext("list separator", ", ")
        text = translation.gettext(msgid) % {
            key: separator.join(map(str, value)) if isinstance(value, list | tuple) else str(value)
            for key, value in params.items()
        }
        if note:
            text = translation.gettext(WITH_NOTE) % {"entry": text, "note": note}
    return text


def _check_open(incident: Incident) -> None:
    """A closed or cancelled incident takes no new roles, tasks or supply requests (409)."""
    if incident.status not in OPEN_STATES:
        raise Conflict(_("the incident is %(status)s") % {"status": S(incident.status).label})


def _locked(incident: Incident, expected_version: int | None = None) -> Incident:
    """The incident row, locked until the transaction ends, checked against the client's version."""
    locked = Incident.objects.select_for_update().select_related("area").get(pk=incident.pk)
    if expected_version is not None and expected_version != locked.version:
        raise Conflict(
            _(
                "the incident was changed by someone else (version %(current)s, you sent %(sent)s); "
                "reload and try again"
            )
            % {"current": locked.version, "sent": expected_version}
        )
    return locked


@transaction.atomic
def transition(incident: Incident, action: str, user, reason: str = "", expected_version: int | None = None):
    """Move the incident through its lifecycle; an action not allowed from its state is a Conflict."""
    if action not in ACTIONS:
        raise Invalid(_unknown_action(action, ACTIONS))
    reason = (reason or "").strip()
    if action in REASON_REQUIRED and not reason:
        raise Invalid(_("%(action)s needs a reason") % {"action": action})
    incident = _locked(incident, expected_version)
    new = TRANSITIONS.get((incident.status, action))
    if new is None:
        allowed = sorted(a for (state, a) in TRANSITIONS if state == incident.status)
        params = {"action": action, "status": S(incident.status).label, "allowed": ", ".join(allowed)}
        if allowed:
            raise Conflict(
                _("cannot %(action)s an incident that is %(status)s; allowed: %(allowed)s") % params
            )
        raise Conflict(_("cannot %(action)s an incident that is %(status)s") % params)
    if new in (S.CLOSED, S.CANCELLED):
        active = incident.dispatches.filter(status__in=ACTIVE_DISPATCH).count()
        if active:
            raise Conflict(
                _("%(count)s team(s) are still dispatched; release them before you %(action)s")
                % {"count": active, "action": action}
            )
        # Summoned experts likewise (the same states count as active as for teams).
        summoned = incident.summonses.filter(status__in=ACTIVE_DISPATCH).count()
        if summoned:
            raise Conflict(
                _("%(count)s expert(s) are still summoned; release them before you %(action)s")
                % {"count": summoned, "action": action}
            )
    now = timezone.now()
    old = incident.status
    incident.status = new
    setattr(incident, STATE_TIMESTAMP[new], now)
    if action == "reopen":
        incident.closed_at = incident.cancelled_at = None
    incident.version += 1
    incident.save()
    _log(
        incident,
        LogKind.STATUS,
        log_text(gettext_noop("status: %(old)s → %(new)s"), note=reason, old=S(old).label, new=S(new).label),
        user,
        {"action": action, "from": old, "to": new, "reason": reason, "version": incident.version},
    )
    return incident


REPORT_FIELDS = {"first": "first_report_at", "written": "written_report_at"}
REPORT_SENT = {"first": gettext_noop("first report sent"), "written": gettext_noop("written report sent")}


@transaction.atomic
def record_report(incident: Incident, which: str, user, expected_version: int | None = None, note: str = ""):
    """Record that the first (quick) or written report went up to the next level."""
    if which not in REPORT_FIELDS:
        raise Invalid(_("unknown report %(which)s; use first or written") % {"which": repr(which)})
    incident = _locked(incident, expected_version)
    if incident.verified_at is None or incident.status == S.CANCELLED:
        raise Conflict(_("only a verified incident is reported upwards"))
    field = REPORT_FIELDS[which]
    if getattr(incident, field) is not None:
        raise Conflict(
            _("the first report was already recorded")
            if which == "first"
            else _("the written report was already recorded")
        )
    if which == "written" and incident.first_report_at is None:
        raise Conflict(_("record the first report before the written report"))
    setattr(incident, field, timezone.now())
    incident.version += 1
    incident.save()
    _log(
        incident,
        LogKind.REPORT,
        log_text(REPORT_SENT[which], note=note),
        user,
        {"report": which, "version": incident.version},
    )
    return incident


# --- Reading and checking incident input ----------------------------------------------------------


def locate(point: Point) -> tuple[AdminArea, bool]:
    """The admin area of a point and whether it lies outside every district.

    The deepest area whose boundary contains the point; beneath it, the nearest community (else street)
    representative point; outside every boundary, the city with ``outside_city``.
    """
    containing = (
        AdminArea.objects.filter(boundary__isnull=False, boundary__contains=point)
        .defer("boundary")
        .order_by("-path")
    )
    best = max(containing, key=lambda a: len(a.path), default=None)
    if best is None:
        city = (
            AdminArea.objects.filter(level=AreaLevel.CITY).defer("boundary").order_by("path").first()
            or AdminArea.objects.defer("boundary").order_by("path").first()
        )
        if city is None:
            raise Invalid(_("no administrative areas are loaded"))
        return city, True
    below = list(
        AdminArea.objects.filter(path__startswith=best.path, point__isnull=False, boundary__isnull=True)
        .exclude(pk=best.pk)
        .only("id", "path", "level", "point", "code", "name")
    )
    coslat = math.cos(math.radians(point.y))
    for level in (AreaLevel.COMMUNITY, AreaLevel.STREET):
        candidates = [a for a in below if a.level == level]
        if candidates:
            nearest = min(
                candidates,
                key=lambda a: ((a.point.x - point.x) * coslat) ** 2 + (a.point.y - point.y) ** 2,
            )
            return AdminArea.objects.get(pk=nearest.pk), False
    return best, False


EDITABLE = (
    "title",
    "category",
    "type",
    "severity",
    "description",
    "reported_via",
    "exercise",
    "deaths",
    "serious_injuries",
    "injuries",
    "missing",
    "direct_loss_cny",
    "affected_area",
)
COUNTS = ("deaths", "serious_injuries", "injuries", "missing")


def clean_incident(data: dict, user, instance: Incident | None = None) -> dict:
    """Model field values from an API body (create: all required fields; update: the ones given)."""
    partial = instance is not None
    fields: dict = {}
    unknown = set(data) - set(EDITABLE) - {"lon", "lat", "crs"}
    if unknown:
        raise Invalid(_("unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if not partial:
        for name in ("title", "category", "type", "lon", "lat"):
            if data.get(name) in (None, ""):
                raise Invalid(_("%(name)s is required") % {"name": name})
    if "title" in data:
        title = str(data["title"] or "").strip()
        if not title or len(title) > 200 or "\x00" in title:
            raise Invalid(_("title must be 1–200 characters"))
        fields["title"] = title
    if "description" in data:
        fields["description"] = str(data["description"] or "")[:10000]
    for name, choices in (
        ("category", Category),
        ("type", IncidentType),
        ("severity", Severity),
        ("reported_via", ReportedVia),
    ):
        if name in data and data[name] is not None:
            value = str(data[name])
            if value not in choices.values:
                raise Invalid(
                    _("unknown %(name)s %(value)s; use %(values)s")
                    % {"name": name, "value": repr(value), "values": ", ".join(choices.values)}
                )
            fields[name] = value
    category = fields.get("category", getattr(instance, "category", None))
    kind = fields.get("type", getattr(instance, "type", None))
    if category and kind and category not in TYPE_CATEGORIES[kind]:
        raise Invalid(
            _("type %(type)s belongs to %(categories)s, not %(category)s")
            % {"type": kind, "categories": ", ".join(sorted(TYPE_CATEGORIES[kind])), "category": category}
        )
    if "exercise" in data:
        if not isinstance(data["exercise"], bool):
            raise Invalid(_("exercise must be true or false"))
        fields["exercise"] = data["exercise"]
    for name in COUNTS:
        if name in data:
            fields[name] = inputs.count(data[name], name)
    if "direct_loss_cny" in data:
        loss = inputs.number(data["direct_loss_cny"], "direct_loss_cny")
        if loss < 0 or loss >= Decimal("1e14"):
            raise Invalid(_("direct_loss_cny must be between 0 and 10^14"))
        fields["direct_loss_cny"] = loss.quantize(Decimal("0.01"))
    if "affected_area" in data:
        fields["affected_area"] = inputs.multipolygon(data["affected_area"], "affected_area")
    if "lon" in data or "lat" in data:
        if "lon" not in data or "lat" not in data:
            raise Invalid(_("give both lon and lat"))
        point = inputs.point(data["lon"], data["lat"], data.get("crs") or "wgs84")
        area, outside = locate(point)
        if not scope_of(user).covers(area.path):
            raise Invalid(
                _("(%(lon)s, %(lat)s) is outside your jurisdiction")
                % {"lon": f"{point.x:.6f}", "lat": f"{point.y:.6f}"}
            )
        fields.update(location=point, area=area, outside_city=outside)
    return fields


def proposed_severity(incident: Incident) -> str | None:
    """The grade by Order 493 for accident disasters; None for other categories."""
    if incident.category != Category.ACCIDENT_DISASTER:
        return None
    return grade_accident(incident.deaths, incident.serious_injuries, incident.direct_loss_cny)


@transaction.atomic
def create_incident(user, data: dict) -> Incident:
    fields = clean_incident(data, user)
    incident = Incident(**fields, reported_by=_user(user), reported_at=timezone.now())
    if "severity" not in fields:
        incident.severity = proposed_severity(incident) or Severity.IV
    incident.save()
    text = log_text(
        gettext_noop("reported via %(via)s: %(title)s (location outside every district)")
        if incident.outside_city
        else gettext_noop("reported via %(via)s: %(title)s"),
        via=ReportedVia(incident.reported_via).label,
        title=incident.title,
    )
    _log(incident, LogKind.STATUS, text, user, {"action": "report", "to": incident.status, "version": 1})
    return incident


@transaction.atomic
def update_incident(incident: Incident, user, data: dict, expected_version: int | None = None) -> Incident:
    incident = _locked(incident, expected_version)
    if incident.status not in OPEN_STATES:
        raise Conflict(
            _("a %(status)s incident cannot be edited; reopen it first")
            % {"status": S(incident.status).label}
        )
    fields = clean_incident(data, user, instance=incident)
    changed = []
    for name, value in fields.items():
        if differs(getattr(incident, name), value):
            setattr(incident, name, value)
            changed.append(name)
    if not changed:
        return incident
    incident.version += 1
    incident.save()
    _log(
        incident,
        LogKind.EDIT,
        log_text(
            gettext_noop("changed %(fields)s"),
            fields=[Incident._meta.get_field(n).verbose_name for n in changed],
        ),
        user,
        {"fields": changed, "version": incident.version},
    )
    return incident


@transaction.atomic
def add_note(incident: Incident, user, text: str, data: dict | None = None) -> IncidentLog:
    text = (text or "").strip()
    if not text or "\x00" in text:
        raise Invalid(_("a note needs text"))
    if len(text) > 4000:
        raise Invalid(_("a note is at most 4,000 characters"))
    incident = _locked(incident)
    return _log(incident, LogKind.NOTE, text, user, data)


# --- Command roles and tasks ----------------------------------------------------------------------


@transaction.atomic
def add_participant(incident: Incident, user, person, role: str) -> Participant:
    if role not in ParticipantRole.values:
        raise Invalid(
            _("unknown role %(role)s; use %(roles)s")
            % {"role": repr(role), "roles": ", ".join(ParticipantRole.values)}
        )
    incident = _locked(incident)
    _check_open(incident)
    if Participant.objects.filter(incident=incident, user=person, role=role, ended_at__isnull=True).exists():
        raise Conflict(
            _("%(person)s already holds %(role)s")
            % {"person": person.username, "role": ParticipantRole(role).label}
        )
    participant = Participant.objects.create(
        incident=incident, user=person, role=role, started_at=timezone.now()
    )
    _log(
        incident,
        LogKind.COMMAND,
        log_text(
            gettext_noop("%(person)s joins as %(role)s"),
            person=person.display_name,
            role=ParticipantRole(role).label,
        ),
        user,
        {"participant": participant.pk, "user": person.username, "role": role},
    )
    return participant


@transaction.atomic
def end_participant(participant: Participant, user) -> Participant:
    incident = _locked(participant.incident)
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.ended_at is not None:
        raise Conflict(_("this role has already ended"))
    participant.ended_at = timezone.now()
    participant.save()
    _log(
        incident,
        LogKind.COMMAND,
        log_text(
            gettext_noop("%(person)s leaves %(role)s"),
            person=participant.user.display_name,
            role=ParticipantRole(participant.role).label,
        ),
        user,
        {"participant": participant.pk, "user": participant.user.username, "role": participant.role},
    )
    return participant


TASK_TRANSITIONS = {
    (TaskStatus.OPEN, "done"): TaskStatus.DONE,
    (TaskStatus.OPEN, "cancel"): TaskStatus.CANCELLED,
    (TaskStatus.DONE, "reopen"): TaskStatus.OPEN,
}
TASK_TIMESTAMP = {TaskStatus.DONE: "done_at", TaskStatus.CANCELLED: "cancelled_at"}


@transaction.atomic
def create_task(incident: Incident, user, title: str, owner=None, due_at=None) -> Task:
    title = (title or "").strip()
    if not title or len(title) > 200 or "\x00" in title:
        raise Invalid(_("title must be 1–200 characters"))
    if due_at is not None and timezone.is_naive(due_at):
        raise Invalid(_("due_at needs a time zone"))
    incident = _locked(incident)
    _check_open(incident)
    task = Task.objects.create(incident=incident, title=title, owner=owner, due_at=due_at)
    _log(
        incident,
        LogKind.COMMAND,
        log_text(gettext_noop("task: %(title)s"), title=title),
        user,
        {"task": task.pk, "owner": owner.username if owner else None},
    )
    return task


@transaction.atomic
def task_transition(task: Task, action: str, user) -> Task:
    incident = _locked(task.incident)
    task = Task.objects.select_for_update().get(pk=task.pk)
    new = TASK_TRANSITIONS.get((task.status, action))
    if new is None:
        raise Conflict(
            _("cannot %(action)s a task that is %(status)s")
            % {"action": action, "status": TaskStatus(task.status).label}
        )
    old = task.status
    task.status = new
    if new in TASK_TIMESTAMP:
        setattr(task, TASK_TIMESTAMP[new], timezone.now())
    else:
        task.done_at = task.cancelled_at = None
    task.save()
    _log(
        incident,
        LogKind.COMMAND,
        log_text(
            gettext_noop("task %(title)s: %(old)s → %(new)s"),
            title=task.title,
            old=TaskStatus(old).label,
            new=TaskStatus(new).label,
        ),
        user,
        {"task": task.pk, "action": action, "from": old, "to": new},
    )
    return task


# --- Response orders: dispatches and expert summonses ---------------------------------------------
#
# A rescue team is dispatched (``Dispatch``) and an expert summoned (``ExpertSummons``) by one engine:
# ``place_order`` and ``order_transition``. An order moves through one table under a lock on the incident
# and then on the order, stamps the step's time, makes the resource's state follow (a team's status, an
# expert's availability) under a lock on the resource, and writes one ``LogKind.DISPATCH`` entry. What
# differs between the kinds is an ``OrderKind``: ``DISPATCH`` below, ``SUMMONS`` in
# ``citywatch.incidents.summons``.

D = DispatchStatus
# (state, action) → new state, for every kind of order. Anything not listed is a Conflict.
ORDER_TRANSITIONS: dict[tuple[str, str], str] = {
    (D.REQUESTED, "accept"): D.ACCEPTED,
    (D.REQUESTED, "decline"): D.DECLINED,
    (D.ACCEPTED, "depart"): D.EN_ROUTE,
    (D.EN_ROUTE, "arrive"): D.ON_SCENE,
    (D.ACCEPTED, "release"): D.RELEASED,
    (D.EN_ROUTE, "release"): D.RELEASED,
    (D.ON_SCENE, "release"): D.RELEASED,
}
ORDER_ACTIONS = tuple(dict.fromkeys(a for _, a in ORDER_TRANSITIONS))
ORDER_TIMESTAMP = {
    D.ACCEPTED: "accepted_at",
    D.DECLINED: "declined_at",
    D.EN_ROUTE: "en_route_at",
    D.ON_SCENE: "on_scene_at",
    D.RELEASED: "released_at",
}


@dataclass(frozen=True, kw_only=True)
class OrderKind:
    """What differs between the kinds of response order."""

    model: type[ResponseOrder]
    # The order's foreign key to the resource sent ("team"); also the resource's key in the log data.
    resource: str
    # The resource's field that follows the order ("status") and its value for each order status.
    state_field: str
    state_for: Mapping[str, str]
    # The value of that field that lets the resource be ordered.
    available: str
    # "dispatch": the order's key in the log data (the live events read it).
    noun: str
    # The kind's messages, msgids marked with gettext_noop. Errors (translated for the request): no such
    # resource (%(id)s), the incident not open (%(status)s), a step not allowed (%(action)s, %(status)s).
    not_found: str
    closed: str
    illegal: str
    # The log's texts (in the site's language, see ``log_text``): a new order (%(name)s) and a step
    # (%(name)s, %(old)s, %(new)s).
    requested_text: str
    step_text: str
    # Called before any lock as authorise(user, order, action); raises Forbidden to refuse a step.
    authorise: Callable[[object, ResponseOrder, str], None] | None = None

    @property
    def resource_model(self):
        return self.model._meta.get_field(self.resource).related_model

    def resource_id(self, order: ResponseOrder) -> int:
        return getattr(order, self.model._meta.get_field(self.resource).attname)


def _eta(resource, incident) -> tuple[float | None, str]:
    """The engine's travel time from the resource to the incident; (None, "") if it cannot say."""
    if resource.location is None:
        return None, ""
    try:
        import numpy as np

        from citywatch.geo import routing

        answer = routing.nearest_by_time(
            (incident.location.x, incident.location.y),
            np.array([[resource.location.x, resource.location.y]], dtype=float),
            "to",
            24 * 3600.0,
            1,
        )
    except Exception:  # noqa: BLE001 — an ETA is a hint; the order stands without one
        return None, ""
    if not answer.results:
        return None, ""
    hit = answer.results[0]
    return round(float(hit.eta_s), 1), str(hit.eta_method)


def _requested_text(kind: OrderKind, resource, eta_s: float | None) -> str:
    text = log_text(kind.requested_text, name=resource.name)
    if eta_s is None:
        return text
    return log_text(gettext_noop("%(entry)s (ETA %(minutes)s min)"), entry=text, minutes=f"{eta_s / 60:.0f}")


@transaction.atomic
def place_order(kind: OrderKind, incident: Incident, resource_id: int, user, note: str = "", **fields):
    """Order a resource to the incident (``fields``: the kind's own, e.g. ``assigned_to``). The resource
    must be visible to the user (else NotFound) and available (else Conflict), the incident open (else
    Conflict); the resource's state follows the new order in the same transaction."""
    model = kind.resource_model
    if not model.objects.restrict(user, "view").filter(pk=resource_id).exists():
        raise NotFound(_(kind.not_found) % {"id": resource_id})
    incident = _locked(incident)
    if incident.status not in OPEN_STATES:
        raise Conflict(_(kind.closed) % {"status": S(incident.status).label})
    resource = model.objects.select_for_update().get(pk=resource_id)
    state = getattr(resource, kind.state_field)
    if state != kind.available:
        shown = getattr(resource, f"get_{kind.state_field}_display")()
        raise Conflict(_("%(name)s is %(state)s, not available") % {"name": resource.name, "state": shown})
    eta_s, eta_method = _eta(resource, incident)
    order = kind.model.objects.create(
        incident=incident,
        **{kind.resource: resource},
        **fields,
        requested_by=_user(user),
        eta_s=eta_s,
        eta_method=eta_method,
        note=(note or "")[:200],
        requested_at=timezone.now(),
    )
    setattr(resource, kind.state_field, kind.state_for[D.REQUESTED])
    resource.save()
    _log(
        incident,
        LogKind.DISPATCH,
        _requested_text(kind, resource, eta_s),
        user,
        {kind.noun: order.pk, kind.resource: resource.pk, "to": D.REQUESTED, "eta_s": eta_s},
    )
    return order


@transaction.atomic
def order_transition(kind: OrderKind, order: ResponseOrder, action: str, user, note: str = ""):
    """Move the order one step through ``ORDER_TRANSITIONS``: an unknown action is Invalid, a step not
    allowed from the order's status a Conflict. Locks the incident, the order, then the resource."""
    if action not in ORDER_ACTIONS:
        raise Invalid(_unknown_action(action, ORDER_ACTIONS))
    if kind.authorise is not None:
        kind.authorise(user, order, action)
    incident = _locked(order.incident)
    order = kind.model.objects.select_for_update().get(pk=order.pk)
    new = ORDER_TRANSITIONS.get((order.status, action))
    if new is None:
        raise Conflict(_(kind.illegal) % {"action": action, "status": D(order.status).label})
    resource = kind.resource_model.objects.select_for_update().get(pk=kind.resource_id(order))
    old = order.status
    order.status = new
    setattr(order, ORDER_TIMESTAMP[new], timezone.now())
    order.save()
    # The resource follows the order only from the state the order put it in: a team or an expert marked
    # unavailable by hand while on the order stays unavailable when released.
    current = getattr(resource, kind.state_field)
    if current != kind.state_for[new] and current == kind.state_for[old]:
        setattr(resource, kind.state_field, kind.state_for[new])
        resource.save()
    _log(
        incident,
        LogKind.DISPATCH,
        log_text(kind.step_text, note=note, name=resource.name, old=D(old).label, new=D(new).label),
        user,
        {kind.noun: order.pk, kind.resource: resource.pk, "action": action, "from": old, "to": new},
    )
    return order


# --- Dispatch -------------------------------------------------------------------------------------

# The dispatch names of the order table (views, the API and the live events use them).
DISPATCH_TRANSITIONS = ORDER_TRANSITIONS
DISPATCH_ACTIONS = ORDER_ACTIONS
DISPATCH_TIMESTAMP = ORDER_TIMESTAMP
# What the assigned team leader may do; releasing a team is the command's decision.
LEADER_ACTIONS = {"accept", "decline", "depart", "arrive"}
TEAM_STATUS_FOR = {
    D.REQUESTED: TeamStatus.DEPLOYED,
    D.ACCEPTED: TeamStatus.DEPLOYED,
    D.EN_ROUTE: TeamStatus.DEPLOYED,
    D.ON_SCENE: TeamStatus.DEPLOYED,
    D.RELEASED: TeamStatus.AVAILABLE,
    D.DECLINED: TeamStatus.AVAILABLE,
}


def may_move_dispatch(user, dispatch: Dispatch, action: str) -> bool:
    from citywatch.core.choices import Role

    if getattr(user, "role", "") == Role.TEAM_LEADER and not user.is_superuser:
        return dispatch.assigned_to_id == user.pk and action in LEADER_ACTIONS
    return True


def _authorise_dispatch(user, dispatch: Dispatch, action: str) -> None:
    if not may_move_dispatch(user, dispatch, action):
        raise Forbidden(
            _("only the assigned team leader may answer this order, and only the command releases")
        )


DISPATCH = OrderKind(
    model=Dispatch,
    resource="team",
    state_field="status",
    state_for=TEAM_STATUS_FOR,
    available=TeamStatus.AVAILABLE,
    noun="dispatch",
    not_found=gettext_noop("no rescue team %(id)s in your jurisdiction"),
    closed=gettext_noop("the incident is %(status)s; teams cannot be dispatched to it"),
    illegal=gettext_noop("cannot %(action)s a dispatch that is %(status)s"),
    requested_text=gettext_noop("%(name)s requested"),
    step_text=gettext_noop("%(name)s: %(old)s → %(new)s"),
    authorise=_authorise_dispatch,
)


def request_dispatch(incident: Incident, team_id: int, user, assigned_to=None, note: str = "") -> Dispatch:
    """Order a rescue team to the incident. The team must be available and in the dispatcher's
    jurisdiction; it becomes deployed in the same transaction."""
    return place_order(DISPATCH, incident, team_id, user, note, assigned_to=assigned_to)


def dispatch_transition(dispatch: Dispatch, action: str, user, note: str = "") -> Dispatch:
    """Move a dispatch one step; a team leader may answer only the orders assigned to them, and only the
    command releases (else Forbidden). The team's status follows."""
    return order_transition(DISPATCH, dispatch, action, user, note)


# --- Supply requests ------------------------------------------------------------------------------

Q = SupplyStatus
SUPPLY_TRANSITIONS: dict[tuple[str, str], str] = {
    (Q.REQUESTED, "approve"): Q.APPROVED,
    (Q.REQUESTED, "reject"): Q.REJECTED,
    (Q.REQUESTED, "cancel"): Q.CANCELLED,
    (Q.APPROVED, "cancel"): Q.CANCELLED,
    (Q.APPROVED, "ship"): Q.SHIPPED,
    (Q.SHIPPED, "ship"): Q.SHIPPED,  # a further partial shipment
    (Q.SHIPPED, "receive"): Q.RECEIVED,
}
SUPPLY_ACTIONS = tuple(dict.fromkeys(a for _, a in SUPPLY_TRANSITIONS))
SUPPLY_TIMESTAMP = {
    Q.APPROVED: "approved_at",
    Q.REJECTED: "rejected_at",
    Q.SHIPPED: "shipped_at",
    Q.RECEIVED: "received_at",
    Q.CANCELLED: "cancelled_at",
}


def ledger_reference(incident: Incident) -> str:
    return f"INC-{incident.pk}"


@transaction.atomic
def _left_to_ship(item):
    """Approved supply requests for ``item`` that still have something to ship, and how much (``n``)."""
    from django.db.models import F

    pending = SupplyRequest.objects.filter(item=item, status__in=(Q.APPROVED, Q.SHIPPED))
    return pending.filter(quantity_approved__gt=F("quantity_shipped")), F("quantity_approved") - F(
        "quantity_shipped"
    )


def available(depot, item, exclude: int | None = None) -> tuple[Decimal, Decimal, Decimal]:
    """(balance, committed, available) of an item at a depot: committed is what approved requests still
    have to ship (``exclude``: a request left out of it), available what may still be asked for."""
    from django.db.models import Sum

    from citywatch.resources.models import StockBalance

    # Locked: two approvals at the same depot cannot both count the same stock.
    row = (
        StockBalance.objects.select_for_update()
        .filter(depot=depot, item=item)
        .values_list("quantity", flat=True)
        .first()
    )
    balance = row if row is not None else Decimal(0)
    pending, left = _left_to_ship(item)
    pending = pending.filter(depot=depot).exclude(pk=exclude)
    committed = pending.aggregate(n=Sum(left))["n"] or Decimal(0)
    return balance, committed, max(balance - committed, Decimal(0))


def available_by_depot(item, depots) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    """``available`` for many depots at once (a read, nothing locked): depot id → (balance, committed,
    available), for the depots of the ``depots`` queryset that hold some of the item."""
    from django.db.models import Sum

    from citywatch.resources.models import StockBalance

    balances = dict(
        StockBalance.objects.filter(item=item, quantity__gt=0, depot__in=depots).values_list(
            "depot", "quantity"
        )
    )
    pending, left = _left_to_ship(item)
    committed = dict(
        pending.filter(depot__in=list(balances))
        .values("depot")
        .annotate(n=Sum(left))
        .values_list("depot", "n")
    )
    out = {}
    for depot_id, balance in balances.items():
        held = committed.get(depot_id) or Decimal(0)
        out[depot_id] = (balance, held, max(balance - held, Decimal(0)))
    return out


def _check_available(depot, item, quantity: Decimal, exclude: int | None = None) -> None:
    balance, committed, free = available(depot, item, exclude)
    if quantity > free:
        params = {
            "depot": depot.name,
            "balance": f"{balance.normalize():f}",
            "unit": item.unit,
            "item": item.name,
            "committed": f"{committed.normalize():f}",
            "available": f"{free.normalize():f}",
            "quantity": f"{quantity.normalize():f}",
        }
        if committed:
            raise Conflict(
                _(
                    "%(depot)s holds %(balance)s %(unit)s of %(item)s; %(committed)s of it approved for "
                    "other requests: at most %(available)s can be given, not %(quantity)s"
                )
                % params
            )
        raise Conflict(
            _(
                "%(depot)s holds %(balance)s %(unit)s of %(item)s: at most %(available)s can be given, "
                "not %(quantity)s"
            )
            % params
        )


@transaction.atomic
def request_supply(incident: Incident, user, depot_id: int, item_code: str, quantity, note: str = ""):
    """Ask a depot (in the requester's jurisdiction) for supplies. A request larger than what the depot
    can still give (``available``) is refused (409) and nothing is written; approving checks again, and
    shipping goes through the ledger, which never overdraws."""
    from citywatch.resources.models import Depot, SupplyItem

    quantity = inputs.quantity(quantity)
    depot = Depot.objects.restrict(user, "view").filter(pk=depot_id).first()
    if depot is None:
        raise NotFound(_("no depot %(id)s in your jurisdiction") % {"id": depot_id})
    item = SupplyItem.objects.filter(code=str(item_code)[:32]).first()
    if item is None:
        raise Invalid(_("unknown supply item %(code)s") % {"code": repr(item_code)})
    incident = _locked(incident)
    _check_open(incident)
    _check_available(depot, item, quantity)
    request = SupplyRequest.objects.create(
        incident=incident,
        depot=depot,
        item=item,
        quantity_requested=quantity,
        requested_by=_user(user),
        note=(note or "")[:200],
        requested_at=timezone.now(),
    )
    _log(
        incident,
        LogKind.SUPPLY,
        log_text(
            gettext_noop("requested %(quantity)s %(unit)s %(item)s from %(depot)s"),
            quantity=f"{quantity.normalize():f}",
            unit=item.unit,
            item=item.name,
            depot=depot.name,
        ),
        user,
        {"supply_request": request.pk, "to": Q.REQUESTED, "quantity": str(quantity)},
    )
    return request


@transaction.atomic
def supply_transition(request: SupplyRequest, action: str, user, quantity=None, note: str = ""):
    from citywatch.resources import actions as ledger

    if action not in SUPPLY_ACTIONS:
        raise Invalid(_unknown_action(action, SUPPLY_ACTIONS))
    incident = _locked(request.incident)
    request = SupplyRequest.objects.select_for_update().select_related("depot", "item").get(pk=request.pk)
    new = SUPPLY_TRANSITIONS.get((request.status, action))
    if new is None:
        raise Conflict(
            _("cannot %(action)s a supply request that is %(status)s")
            % {"action": action, "status": Q(request.status).label}
        )
    qty = None if quantity in (None, "") else inputs.quantity(quantity)
    data: dict = {"supply_request": request.pk, "action": action, "from": request.status, "to": new}
    unit = request.item.unit
    if action == "approve":
        qty = request.quantity_requested if qty is None else qty
        if qty > request.quantity_requested:
            raise Invalid(
                _("cannot approve more than the %(quantity)s requested")
                % {"quantity": f"{request.quantity_requested.normalize():f}"}
            )
        _check_available(request.depot, request.item, qty, exclude=request.pk)
        request.quantity_approved = qty
    elif action == "ship":
        remaining = request.quantity_approved - request.quantity_shipped
        if remaining <= 0:
            raise Conflict(_("everything approved has been shipped"))
        qty = remaining if qty is None else qty
        if qty > remaining:
            raise Invalid(
                _("only %(quantity)s %(unit)s remain to ship")
                % {"quantity": f"{remaining.normalize():f}", "unit": unit}
            )
        movement = ledger.record_movement(
            request.depot,
            request.item,
            MovementKind.ISSUE,
            qty,
            reference=ledger_reference(incident),
            note=f"supply request {request.pk}",
            user=_user(user),
        )
        request.quantity_shipped += qty
        data["movement"] = movement.pk
    elif action == "receive":
        qty = request.quantity_shipped if qty is None else qty
        if qty > request.quantity_shipped:
            raise Invalid(
                _("cannot receive more than the %(quantity)s shipped")
                % {"quantity": f"{request.quantity_shipped.normalize():f}"}
            )
        request.quantity_received = qty
    old = request.status
    request.status = new
    setattr(request, SUPPLY_TIMESTAMP[new], timezone.now())
    request.save()
    if qty is not None:
        data["quantity"] = str(qty)
    params = {
        "item": request.item.name,
        "depot": request.depot.name,
        "old": Q(old).label,
        "new": Q(new).label,
    }
    if qty is None:
        text = log_text(gettext_noop("%(item)s from %(depot)s: %(old)s → %(new)s"), note=note, **params)
    else:
        text = log_text(
            gettext_noop("%(item)s from %(depot)s: %(old)s → %(new)s (%(quantity)s %(unit)s)"),
            note=note,
            quantity=f"{qty.normalize():f}",
            unit=unit,
            **params,
        )
    _log(incident, LogKind.SUPPLY, text, user, data)
    return request
