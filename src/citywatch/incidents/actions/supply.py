"""Supply requests: supplies asked of a depot for an incident, approved (perhaps less than asked), shipped
in one or more parts through the stock ledger (``issue`` lines, reference ``INC-<incident id>``) and
received. A request or an approval larger than what the depot can still give (its balance less what
approved requests have yet to ship) is refused (409) and writes nothing; the ledger itself never
overdraws."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citywatch.core import inputs
from citywatch.core.errors import Conflict, Invalid, NotFound
from citywatch.core.lifecycle import Lifecycle, stamped, transitions
from citywatch.incidents.actions.incident import (
    actor,
    append_log,
    lock_incident,
    lock_record,
    log_text,
    require_open,
)
from citywatch.incidents.choices import LogKind, SupplyStatus
from citywatch.incidents.models import Incident, SupplyRequest
from citywatch.incidents.queries import left_to_ship
from citywatch.resources import actions as ledger
from citywatch.resources.choices import MovementKind
from citywatch.resources.models import Depot, StockBalance, SupplyItem

Q = SupplyStatus
SUPPLY_TRANSITIONS = transitions(
    (Q.REQUESTED, "approve", Q.APPROVED),
    (Q.REQUESTED, "reject", Q.REJECTED),
    ((Q.REQUESTED, Q.APPROVED), "cancel", Q.CANCELLED),
    ((Q.APPROVED, Q.SHIPPED), "ship", Q.SHIPPED),  # from shipped: a further partial shipment
    (Q.SHIPPED, "receive", Q.RECEIVED),
)
SUPPLY_TIMESTAMP = stamped(Q.APPROVED, Q.REJECTED, Q.SHIPPED, Q.RECEIVED, Q.CANCELLED)
SUPPLY = Lifecycle(
    SUPPLY_TRANSITIONS,
    SUPPLY_TIMESTAMP,
    SupplyStatus,
    illegal=gettext_noop("cannot %(action)s a supply request that is %(status)s"),
)
SUPPLY_ACTIONS = SUPPLY.actions


def ledger_reference(incident_id: int) -> str:
    """The reference of the incident's lines in the stock ledger."""
    return f"INC-{incident_id}"


def _figure(value: Decimal) -> str:
    return f"{value.normalize():f}"


def available(depot, item, exclude: int | None = None) -> tuple[Decimal, Decimal, Decimal]:
    """(balance, committed, available) of an item at a depot, the balance row locked (two approvals at
    the same depot cannot both count the same stock): committed is what approved requests still have to
    ship (``exclude``: a request left out of it), available what may still be asked for."""
    row = (
        StockBalance.objects.select_for_update()
        .filter(depot=depot, item=item)
        .values_list("quantity", flat=True)
        .first()
    )
    balance = row if row is not None else Decimal(0)
    pending, left = left_to_ship(item)
    pending = pending.filter(depot=depot).exclude(pk=exclude)
    committed = pending.aggregate(n=Sum(left))["n"] or Decimal(0)
    return balance, committed, max(balance - committed, Decimal(0))


def promised(depot, item, fulfils=None) -> Decimal:
    """What approved requests still have to ship from the depot (the ledger's ``COMMITMENTS``), less the
    request ``fulfils`` (the one a shipment is for)."""
    pending, left = left_to_ship(item)
    pending = pending.filter(depot=depot)
    if isinstance(fulfils, SupplyRequest):
        pending = pending.exclude(pk=fulfils.pk)
    return pending.aggregate(n=Sum(left))["n"] or Decimal(0)


def _check_available(depot, item, quantity: Decimal, exclude: int | None = None) -> None:
    balance, committed, free = available(depot, item, exclude)
    if quantity <= free:
        return
    params = {
        "depot": depot.name,
        "balance": _figure(balance),
        "unit": item.unit,
        "item": item.name,
        "committed": _figure(committed),
        "available": _figure(free),
        "quantity": _figure(quantity),
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
    quantity = inputs.quantity(quantity)
    depot = Depot.objects.restrict(user, "view").filter(pk=depot_id).first()
    if depot is None:
        raise NotFound(_("no depot %(id)s in your jurisdiction") % {"id": depot_id})
    item = SupplyItem.objects.filter(code=str(item_code)[:32]).first()
    if item is None:
        raise Invalid(_("unknown supply item %(code)s") % {"code": repr(item_code)})
    incident = lock_incident(incident)
    require_open(incident)
    _check_available(depot, item, quantity)
    request = SupplyRequest.objects.create(
        incident=incident,
        depot=depot,
        item=item,
        quantity_requested=quantity,
        requested_by=actor(user),
        note=(note or "")[:200],
        requested_at=timezone.now(),
    )
    append_log(
        incident,
        LogKind.SUPPLY,
        log_text(
            gettext_noop("requested %(quantity)s %(unit)s %(item)s from %(depot)s"),
            quantity=_figure(quantity),
            unit=item.unit,
            item=item.name,
            depot=depot.name,
        ),
        user,
        {"supply_request": request.pk, "to": Q.REQUESTED, "quantity": str(quantity)},
    )
    return request


def _up_to(qty: Decimal | None, limit: Decimal, too_many: str, **params) -> Decimal:
    """``qty``, or all of ``limit`` when not given; more than ``limit`` is Invalid (``too_many``, a msgid
    with ``%(quantity)s``)."""
    if qty is None:
        return limit
    if qty > limit:
        raise Invalid(_(too_many) % {"quantity": _figure(limit), **params})
    return qty


def _quantity(request: SupplyRequest, action: str, qty: Decimal | None, incident: Incident, user) -> dict:
    """What ``action`` does to the request's quantities (checked, set), and the log data it adds: approve
    at most what was asked and what the depot can give; ship at most what is left (through the ledger);
    receive at most what was shipped. ``qty`` None: all of it."""
    if action == "approve":
        qty = _up_to(
            qty,
            request.quantity_requested,
            gettext_noop("cannot approve more than the %(quantity)s requested"),
        )
        _check_available(request.depot, request.item, qty, exclude=request.pk)
        request.quantity_approved = qty
    elif action == "ship":
        remaining = request.quantity_approved - request.quantity_shipped
        if remaining <= 0:
            raise Conflict(_("everything approved has been shipped"))
        qty = _up_to(
            qty, remaining, gettext_noop("only %(quantity)s %(unit)s remain to ship"), unit=request.item.unit
        )
        movement = ledger.record_movement(
            request.depot,
            request.item,
            MovementKind.ISSUE,
            qty,
            reference=ledger_reference(incident.pk),
            note=f"supply request {request.pk}",
            user=actor(user),
            fulfils=request,
        )
        request.quantity_shipped += qty
        return {"movement": movement.pk, "quantity": str(qty)}
    elif action == "receive":
        qty = _up_to(
            qty, request.quantity_shipped, gettext_noop("cannot receive more than the %(quantity)s shipped")
        )
        request.quantity_received = qty
    return {} if qty is None else {"quantity": str(qty)}


@transaction.atomic
def supply_transition(request: SupplyRequest, action: str, user, quantity=None, note: str = ""):
    """Approve, reject, cancel, ship (partly: again while something approved is left) or receive."""
    SUPPLY.check(action)
    incident, request = lock_record(request, "depot", "item")
    qty = None if quantity in (None, "") else inputs.quantity(quantity)
    new = SUPPLY.target(request.status, action)
    data: dict = {"supply_request": request.pk, "action": action, "from": request.status, "to": new}
    data.update(_quantity(request, action, qty, incident, user))
    old, new = SUPPLY.apply(request, action)
    request.save()
    params = {
        "item": request.item.name,
        "depot": request.depot.name,
        "old": Q(old).label,
        "new": Q(new).label,
    }
    if "quantity" not in data:
        text = log_text(gettext_noop("%(item)s from %(depot)s: %(old)s → %(new)s"), note=note, **params)
    else:
        text = log_text(
            gettext_noop("%(item)s from %(depot)s: %(old)s → %(new)s (%(quantity)s %(unit)s)"),
            note=note,
            quantity=_figure(Decimal(data["quantity"])),
            unit=request.item.unit,
            **params,
        )
    append_log(incident, LogKind.SUPPLY, text, user, data)
    return request
