"""Response orders: a rescue team dispatched (``Dispatch``) and an expert summoned (``ExpertSummons``), by
one engine.

``place_order`` and ``order_transition`` move an order through one table (``ORDER_TRANSITIONS``) under a
lock on the incident, then the order, then the resource; they stamp the step's time, make the resource's
state follow (a team's status, an expert's availability) and write one ``LogKind.DISPATCH`` entry. What
differs between the kinds is an ``OrderKind``: ``DISPATCH`` and ``SUMMONS`` below.

Experts are registered at an admin area: the city's own pool and the experts shared from neighbouring
cities sit at the city-level area, so only city-level users can summon them; a district officer summons
the experts of their district. A summons' log entries are ``LogKind.DISPATCH`` too (``data.summons``
tells them apart). Team leaders answer the dispatch orders assigned to them (their row rule in
``incidents/roles.py``) and take only the leader's steps (``may_move_dispatch``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citywatch import notify
from citywatch.core import access
from citywatch.core.choices import Role
from citywatch.core.errors import Conflict, Forbidden, Invalid, NotFound
from citywatch.core.lifecycle import Lifecycle, stamped, transitions
from citywatch.incidents.actions.incident import (
    actor,
    append_log,
    lock_incident,
    lock_record,
    log_text,
    require_open,
)
from citywatch.incidents.choices import DispatchStatus, LogKind
from citywatch.incidents.models import Dispatch, ExpertSummons, Incident, ResponseOrder
from citywatch.resources.choices import Availability, TeamStatus

D = DispatchStatus
# (state, action) → new state, for every kind of order. Anything not listed is a Conflict.
ORDER_TRANSITIONS = transitions(
    (D.REQUESTED, "accept", D.ACCEPTED),
    (D.REQUESTED, "decline", D.DECLINED),
    (D.REQUESTED, "recall", D.RECALLED),  # the command takes back an order nobody has accepted
    (D.ACCEPTED, "depart", D.EN_ROUTE),
    (D.EN_ROUTE, "arrive", D.ON_SCENE),
    # The recipient reports the task complete (任务完成, a closing note required); the resource stays held
    # until the command releases it.
    (D.ON_SCENE, "complete", D.COMPLETED),
    ((D.ACCEPTED, D.EN_ROUTE, D.ON_SCENE, D.COMPLETED), "release", D.RELEASED),
)
ORDER_ACTIONS = tuple(dict.fromkeys(a for _, a in ORDER_TRANSITIONS))
ORDER_TIMESTAMP = stamped(D.ACCEPTED, D.DECLINED, D.EN_ROUTE, D.ON_SCENE, D.COMPLETED, D.RELEASED, D.RECALLED)
# The states in which the recipient may send field reports (现场报告) from the scene.
FIELD_REPORT_STATES = frozenset({D.ON_SCENE, D.COMPLETED})
# The states in which an order holds its resource (the incident cannot close while any does).
ACTIVE_ORDER = frozenset(state for state, _action in ORDER_TRANSITIONS)


def follows(held: str, free: str) -> dict[str, str]:
    """The resource's state for each order status: ``held`` while the order is active, ``free`` after."""
    return {status: held if status in ACTIVE_ORDER else free for status in D.values}


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
    # resource (%(id)s), the incident not open (%(status)s), a step not allowed (%(action)s, %(status)s),
    # the incident cannot close while orders hold resources (%(count)s, %(action)s).
    not_found: str
    closed: str
    illegal: str
    still_active: str
    # The log's texts (in the site's language, see ``log_text``): a new order (%(name)s) and a step
    # (%(name)s, %(old)s, %(new)s).
    requested_text: str
    step_text: str
    # Called before any lock as authorise(user, order, action); raises Forbidden to refuse a step.
    authorise: Callable[[object, ResponseOrder, str], None] | None = None
    # Called with the resource locked as recipient(resource, incident, fields) → the order's own fields,
    # completed (a dispatch goes to the team's leader on record unless someone is named) or refused.
    recipient: Callable[[object, Incident, dict], dict] | None = None
    # The outbox events' prefix ("dispatch": dispatch.requested, dispatch.recalled); "" publishes none.
    event: str = ""

    @cached_property
    def lifecycle(self) -> Lifecycle:
        return Lifecycle(ORDER_TRANSITIONS, ORDER_TIMESTAMP, D, self.illegal)

    @property
    def resource_model(self):
        return self.model._meta.get_field(self.resource).related_model

    def resource_id(self, order: ResponseOrder) -> int:
        return getattr(order, self.model._meta.get_field(self.resource).attname)

    def active(self, incident: Incident) -> int:
        """How many of the incident's orders of this kind still hold their resource."""
        return self.model.objects.filter(incident=incident, status__in=ACTIVE_ORDER).count()


def eta(resource, incident) -> tuple[float | None, str]:
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
    incident = lock_incident(incident)
    require_open(incident, kind.closed)
    resource = model.objects.select_for_update().get(pk=resource_id)
    state = getattr(resource, kind.state_field)
    if state != kind.available:
        shown = getattr(resource, f"get_{kind.state_field}_display")()
        raise Conflict(_("%(name)s is %(state)s, not available") % {"name": resource.name, "state": shown})
    if kind.recipient is not None:
        fields = kind.recipient(resource, incident, fields)
    eta_s, eta_method = eta(resource, incident)
    order = kind.model.objects.create(
        incident=incident,
        **{kind.resource: resource},
        **fields,
        requested_by=actor(user),
        eta_s=eta_s,
        eta_method=eta_method,
        note=(note or "")[:200],
        requested_at=timezone.now(),
    )
    setattr(resource, kind.state_field, kind.state_for[D.REQUESTED])
    resource.save()
    append_log(
        incident,
        LogKind.DISPATCH,
        _requested_text(kind, resource, eta_s),
        user,
        {kind.noun: order.pk, kind.resource: resource.pk, "to": D.REQUESTED, "eta_s": eta_s},
    )
    _publish(kind, order, incident, resource, "requested")
    return order


def _publish(kind: OrderKind, order: ResponseOrder, incident: Incident, resource, what: str) -> None:
    """The outbox event of an order's step (``dispatch.requested``, ``dispatch.recalled``), in the same
    transaction: the recipient's phone and any subscription learn of it after the commit."""
    if not kind.event:
        return
    recipient = getattr(order, "assigned_to", None)
    subject = {
        "requested": gettext_noop("Order %(number)s: %(name)s to %(incident)s"),
        "recalled": gettext_noop("Order %(number)s recalled: %(name)s, %(incident)s"),
        "completed": gettext_noop("Order %(number)s task complete: %(name)s, %(incident)s"),
    }[what]
    notify.publish(
        f"{kind.event}.{what}",
        area=incident.area,
        subject=log_text(subject, number=order.number, name=resource.name, incident=incident.title),
        body={"recalled": order.recall_reason, "completed": order.completion_note}.get(what, order.note),
        payload={
            kind.noun: order.pk,
            "number": order.number,
            "incident": incident.pk,
            kind.resource: resource.pk,
            "assigned_to": recipient.username if recipient is not None else None,
            "status": order.status,
        },
        exercise=incident.exercise,
        obj=order,
    )


@transaction.atomic
def order_transition(kind: OrderKind, order: ResponseOrder, action: str, user, note: str = ""):
    """Move the order one step through ``ORDER_TRANSITIONS``: an unknown action is Invalid, a step not
    allowed from the order's status a Conflict. Locks the incident, the order, then the resource."""
    kind.lifecycle.check(action)
    if kind.authorise is not None:
        kind.authorise(user, order, action)
    incident, order = lock_record(order)
    old, new = kind.lifecycle.apply(order, action)
    if action == "recall":
        if not (note or "").strip():
            raise Invalid(_("give the reason for recalling the order"))
        order.recall_reason = note.strip()[:200]
    if action == "complete":
        if not (note or "").strip():
            raise Invalid(_("give a closing note to report the task complete"))
        order.completion_note = note.strip()[:200]
    resource = kind.resource_model.objects.select_for_update().get(pk=kind.resource_id(order))
    order.save()
    # The resource follows the order only from the state the order put it in: a team or an expert marked
    # unavailable by hand while on the order stays unavailable when released.
    current = getattr(resource, kind.state_field)
    if current != kind.state_for[new] and current == kind.state_for[old]:
        setattr(resource, kind.state_field, kind.state_for[new])
        resource.save()
    setattr(order, kind.resource, resource)  # the answer shows the resource as it now is
    append_log(
        incident,
        LogKind.DISPATCH,
        log_text(kind.step_text, note=note, name=resource.name, old=D(old).label, new=D(new).label),
        user,
        {kind.noun: order.pk, kind.resource: resource.pk, "action": action, "from": old, "to": new},
    )
    if action == "recall":
        _publish(kind, order, incident, resource, "recalled")
    elif action == "complete":
        _publish(kind, order, incident, resource, "completed")
    return order


FIELD_REPORT_MAX = 500
# The most people one report may count as rescued or evacuated (a typo guard, not a domain limit).
FIELD_REPORT_MAX_PEOPLE = 100_000


@transaction.atomic
def field_report(
    kind: OrderKind,
    order: ResponseOrder,
    user,
    text: str,
    rescued: int | None = None,
    evacuated: int | None = None,
):
    """A short situation report from the scene (现场报告) by the order's recipient: written to the
    incident's log as one ``LogKind.DISPATCH`` entry (``data.action`` "field_report", with the counts),
    so the one-map's log, the order's history and the live streams show it, and published to the outbox
    (``dispatch.field_report``). Only while the order is on scene or completed (else Conflict); only by
    the recipient (else Forbidden); text required and bounded, counts non-negative (else Invalid).
    Returns the log entry."""
    if not _is_recipient(user, order):
        raise Forbidden(_("only the team leader who received the order may report from the scene"))
    text = (text or "").strip()
    if not text:
        raise Invalid(_("write what the report says"))
    if len(text) > FIELD_REPORT_MAX:
        raise Invalid(_("a field report has at most %(n)s characters") % {"n": FIELD_REPORT_MAX})
    counts = {"rescued": rescued, "evacuated": evacuated}
    for value in counts.values():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise Invalid(_("people counts are whole numbers"))
        if value is not None and not 0 <= value <= FIELD_REPORT_MAX_PEOPLE:
            raise Invalid(_("people counts are between 0 and %(n)s") % {"n": FIELD_REPORT_MAX_PEOPLE})
    incident, order = lock_record(order)
    if order.status not in FIELD_REPORT_STATES:
        raise Conflict(
            _("a field report can be sent once the team is on scene; this order is %(status)s")
            % {"status": D(order.status).label}
        )
    resource = getattr(order, kind.resource)
    entry_text = log_text(gettext_noop("%(name)s field report: %(text)s"), name=resource.name, text=text)
    if rescued is not None:
        entry_text += log_text(gettext_noop("; people rescued %(n)s"), n=rescued)
    if evacuated is not None:
        entry_text += log_text(gettext_noop("; people evacuated %(n)s"), n=evacuated)
    entry = append_log(
        incident,
        LogKind.DISPATCH,
        entry_text,
        user,
        {
            kind.noun: order.pk,
            kind.resource: resource.pk,
            "action": "field_report",
            "to": order.status,
            "report": text,
            "rescued": rescued,
            "evacuated": evacuated,
        },
    )
    if kind.event:
        notify.publish(
            f"{kind.event}.field_report",
            area=incident.area,
            subject=log_text(
                gettext_noop("Order %(number)s field report: %(name)s, %(incident)s"),
                number=order.number,
                name=resource.name,
                incident=incident.title,
            ),
            body=text,
            payload={
                kind.noun: order.pk,
                "number": order.number,
                "incident": incident.pk,
                kind.resource: resource.pk,
                "rescued": rescued,
                "evacuated": evacuated,
                "status": order.status,
            },
            exercise=incident.exercise,
            obj=order,
        )
    return entry


def _is_recipient(user, order: ResponseOrder) -> bool:
    recipient_id = getattr(order, "assigned_to_id", None)
    return recipient_id is not None and getattr(user, "pk", None) == recipient_id


# --- Dispatch -------------------------------------------------------------------------------------

# What the assigned team leader may do; releasing a team is the command's decision.
LEADER_ACTIONS = frozenset({"accept", "decline", "depart", "arrive", "complete"})
# The steps only the order's recipient takes (the command releases a completed team; it does not
# complete the task for it).
RECIPIENT_ACTIONS = frozenset({"complete"})
TEAM_STATUS_FOR = follows(TeamStatus.DEPLOYED, TeamStatus.AVAILABLE)


def may_move_dispatch(user, dispatch: Dispatch, action: str) -> bool:
    """Whether ``user`` may take this step of this dispatch: the row rule of their role (a team leader:
    only the orders assigned to them, see ``incidents/roles.py``) and, for team leaders, only the
    leader's steps (``LEADER_ACTIONS``)."""
    rule = access.row_rule(user, Dispatch, "change")
    if rule is not None and not Dispatch.objects.filter(rule, pk=dispatch.pk).exists():
        return False
    if action in RECIPIENT_ACTIONS:
        return _is_recipient(user, dispatch)
    if getattr(user, "role", "") == Role.TEAM_LEADER and not user.is_superuser:
        return action in LEADER_ACTIONS
    return True


def _authorise_dispatch(user, dispatch: Dispatch, action: str) -> None:
    if action in RECIPIENT_ACTIONS:
        # A step the order's status does not allow is a Conflict for anyone (the lifecycle says so).
        if (dispatch.status, action) in ORDER_TRANSITIONS and not _is_recipient(user, dispatch):
            raise Forbidden(_("only the team leader who received the order may report the task complete"))
        return
    if not may_move_dispatch(user, dispatch, action):
        raise Forbidden(
            _("only the assigned team leader may answer this order, and only the command releases")
        )


def _dispatch_recipient(team, incident: Incident, fields: dict) -> dict:
    """Every dispatch order reaches someone: the leader named by the dispatcher, else the team's leader
    on record, who must be able to see the incident (their jurisdiction covers it). A team without a
    leader on record needs one named (422)."""
    from citywatch.incidents.queries import people_covering

    if fields.get("assigned_to") is not None:
        return fields
    leader = team.leader
    if leader is None or not leader.is_active:
        raise Invalid(
            _("%(team)s has no team leader on record: choose who receives the order") % {"team": team.name}
        )
    if not people_covering(incident).filter(pk=leader.pk).exists():
        raise Invalid(
            _(
                "%(leader)s, the leader of %(team)s, cannot see incidents in %(area)s: choose who "
                "receives the order"
            )
            % {"leader": leader.display_name, "team": team.name, "area": incident.area.name}
        )
    return {**fields, "assigned_to": leader}


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
    still_active=gettext_noop("%(count)s team(s) are still dispatched; release them before you %(action)s"),
    requested_text=gettext_noop("%(name)s requested"),
    step_text=gettext_noop("%(name)s: %(old)s → %(new)s"),
    authorise=_authorise_dispatch,
    recipient=_dispatch_recipient,
    event="dispatch",
)


def request_dispatch(incident: Incident, team_id: int, user, assigned_to=None, note: str = "") -> Dispatch:
    """Order a rescue team to the incident. The team must be available and in the dispatcher's
    jurisdiction; it becomes deployed in the same transaction. The order goes to ``assigned_to``, else to
    the team's leader on record (a team without one needs someone named: 422)."""
    return place_order(DISPATCH, incident, team_id, user, note, assigned_to=assigned_to)


def dispatch_field_report(
    dispatch: Dispatch, user, text: str, rescued: int | None = None, evacuated: int | None = None
):
    """The team leader's field report from the scene (see ``field_report``); returns the log entry."""
    return field_report(DISPATCH, dispatch, user, text, rescued, evacuated)


def dispatch_transition(dispatch: Dispatch, action: str, user, note: str = "") -> Dispatch:
    """Move a dispatch one step; a team leader may answer only the orders assigned to them, and only the
    command releases (else Forbidden). The team's status follows."""
    return order_transition(DISPATCH, dispatch, action, user, note)


# --- Expert summonses -----------------------------------------------------------------------------

AVAILABILITY_FOR = follows(Availability.BUSY, Availability.AVAILABLE)

SUMMONS = OrderKind(
    model=ExpertSummons,
    resource="expert",
    state_field="availability",
    state_for=AVAILABILITY_FOR,
    available=Availability.AVAILABLE,
    noun="summons",
    not_found=gettext_noop("no expert %(id)s in your jurisdiction"),
    closed=gettext_noop("the incident is %(status)s; experts cannot be summoned to it"),
    illegal=gettext_noop("cannot %(action)s a summons that is %(status)s"),
    still_active=gettext_noop("%(count)s expert(s) are still summoned; release them before you %(action)s"),
    requested_text=gettext_noop("expert %(name)s summoned"),
    step_text=gettext_noop("expert %(name)s: %(old)s → %(new)s"),
)
ORDER_KINDS = (DISPATCH, SUMMONS)


def held_resources(model, pks) -> dict[int, str]:
    """The resources among ``pks`` (of ``model``) that an active order holds: pk → the order, as people
    read it (the registry's ``HOLDERS``: their state then changes only by the order's steps)."""
    out: dict[int, str] = {}
    for kind in ORDER_KINDS:
        if kind.resource_model is not model or not pks:
            continue
        orders = kind.model.objects.filter(
            **{f"{kind.resource}__in": pks}, status__in=ACTIVE_ORDER
        ).select_related("incident")
        for order in orders:
            out[kind.resource_id(order)] = _("the %(order)s of %(time)s for %(incident)s") % {
                "order": kind.model._meta.verbose_name,
                "time": timezone.localtime(order.requested_at).strftime("%H:%M"),
                "incident": order.incident.title,
            }
    return out


def summon_expert(incident: Incident, expert_id: int, user, note: str = "") -> ExpertSummons:
    """Summon an expert to the incident. The expert must be available and in the summoner's
    jurisdiction; they become busy in the same transaction."""
    return place_order(SUMMONS, incident, expert_id, user, note)


def summons_transition(summons: ExpertSummons, action: str, user, note: str = "") -> ExpertSummons:
    """Move a summons one step; the expert's availability follows."""
    return order_transition(SUMMONS, summons, action, user, note)
