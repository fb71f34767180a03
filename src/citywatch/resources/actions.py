"""Every state change of resources: registry records, the stock ledger and shelter occupancy.

``clean_record`` reads one record (a file row or an API body) into model fields and lists every
problem; ``save_resource`` writes it, ``save_resources`` writes many (the importers and the demo). The
ledger actions lock the balance row, so two concurrent issues can never overdraw a depot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

import shapely
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch.core import importing, inputs
from citywatch.core.changelog import current_actor
from citywatch.core.choices import CITY_WIDE_LEVELS
from citywatch.core.errors import ActionError, Conflict, Invalid
from citywatch.core.models import AdminArea
from citywatch.core.models.base import differs
from citywatch.geo import crs as crslib
from citywatch.resources.choices import MOVEMENT_SIGN, MovementKind, ShelterStatus
from citywatch.resources.kinds import CellError, Kind
from citywatch.resources.models import (
    Depot,
    RegistryVersion,
    Shelter,
    ShelterOccupancy,
    StockBalance,
    StockMovement,
    SupplyItem,
)

# What other apps tell the registry, registered in their AppConfig.ready() (resources imports no app that
# builds on it):
# - HOLDERS: functions (model, pks) → {pk: what holds it}, the records an active order holds now (a
#   dispatch holds its team, a summons its expert). Their state (``Kind.state_field``) then changes only by
#   the order's steps, and ``Kind.held_state`` (deployed, busy) is set by no one else.
# - COMMITMENTS: functions (depot, item, fulfils) → the quantity promised from the depot and not yet
#   shipped (approved supply requests, less the one ``fulfils`` names); issues and transfers leave it.
HOLDERS: list[Callable[[type, list[int]], dict[int, str]]] = []
COMMITMENTS: list[Callable[[Depot, SupplyItem, object], Decimal]] = []

# A point may lie this far (degrees, ≈500 m) outside its area's boundary: the demo boundaries are coarse.
BOUNDARY_TOLERANCE_DEG = 0.005
# Rows per INSERT of a bulk write.
BULK_BATCH = 500


@dataclass
class RecordProblem:
    column: str
    message: str


@dataclass
class Context:
    """What checking many records needs once: the user's areas and their boundaries."""

    user: object
    crs: crslib.CRS = crslib.CRS.WGS84
    areas: dict[str, AdminArea] = field(default_factory=dict)
    _shapes: dict[int, object] = field(default_factory=dict)

    @classmethod
    def for_user(cls, user, crs: str | crslib.CRS = "wgs84") -> Context:
        areas = {a.code: a for a in AdminArea.objects.restrict(user, "view").defer("boundary")}
        return cls(
            user=user, crs=crslib.parse_crs(crs) if not isinstance(crs, crslib.CRS) else crs, areas=areas
        )

    def boundary_of(self, area: AdminArea):
        """The prepared boundary (with tolerance) of the area or its nearest ancestor that has one."""
        if not self._shapes:
            # Few areas have boundaries (districts); load them all at once, on first use.
            self._shapes[""] = None
            for code, boundary in AdminArea.objects.filter(boundary__isnull=False).values_list(
                "code", "boundary"
            ):
                shape = shapely.from_wkb(bytes(boundary.wkb)).buffer(BOUNDARY_TOLERANCE_DEG)
                shapely.prepare(shape)
                self._shapes[code] = shape
        for code in reversed([c for c in area.path.split(".") if c]):
            if code in self._shapes:
                return self._shapes[code]
        return None

    def jurisdiction_boundary(self):
        jurisdiction = getattr(self.user, "jurisdiction", None)
        if jurisdiction is None or self.user.is_superuser or jurisdiction.level in CITY_WIDE_LEVELS:
            return None
        return self.boundary_of(jurisdiction)


def resolve_columns(kind: Kind, keys) -> tuple[dict[str, str], list[str]]:
    """Map incoming column names (English or a Chinese alias, any case) to the kind's columns.
    Returns ({incoming: column}, [unknown names])."""
    return importing.resolve_columns(kind.all_columns, keys)


def clean_record(kind: Kind, data: dict, ctx: Context, *, partial: bool = False, instance=None):
    """Model field values from one record, and every problem found in it."""
    problems: list[RecordProblem] = []
    fields: dict = {}
    for column in kind.all_columns:
        if column.name in ("lon", "lat", "area_code"):
            continue
        present = column.name in data
        if not present:
            if partial:
                continue
            value = column.default() if callable(column.default) else column.default
            if column.required:
                problems.append(RecordProblem(column.name, _("is required")))
                continue
            if value is None and column.ref is None:
                value = "" if column.api_type is str else None
            fields[column.field] = value
            continue
        try:
            value = column.read(data[column.name])
            if column.required and value in ("", None):
                raise CellError(_("is required"))
            if column.ref is not None:
                value = column.ref(value) if value not in ("", None) else None
        except CellError as exc:
            problems.append(RecordProblem(column.name, str(exc)))
            continue
        fields[column.field] = value
    if "external_id" in fields and fields["external_id"] == "":
        fields["external_id"] = None
    if kind.located:
        _clean_place(kind, data, ctx, fields, problems, partial, instance)
    _cross_checks(kind, fields, instance, problems)
    return fields, problems


def _clean_place(kind, data, ctx, fields, problems, partial, instance):
    area = None
    if "area_code" in data or not partial:
        code = str(data.get("area_code") or "").strip()
        if not code:
            problems.append(RecordProblem("area_code", _("is required")))
        else:
            area = ctx.areas.get(code)
            if area is None:
                exists = AdminArea.objects.filter(code=code).exists()
                problems.append(
                    RecordProblem(
                        "area_code",
                        (
                            _("%(code)s is outside your jurisdiction")
                            if exists
                            else _("unknown area code %(code)s")
                        )
                        % {"code": code},
                    )
                )
            else:
                fields["area"] = area
    elif instance is not None:
        area = instance.area
    has_lon, has_lat = "lon" in data, "lat" in data
    if not (has_lon or has_lat):
        if not partial and kind.location_required:
            problems.append(RecordProblem("lon", _("lon and lat are required")))
        return
    try:
        lon, lat = (
            inputs.optional_float(data.get("lon"), "lon"),
            inputs.optional_float(data.get("lat"), "lat"),
        )
    except Invalid as exc:
        problems.append(RecordProblem("lon", str(exc)))
        return
    if lon is None and lat is None:
        if kind.location_required:
            problems.append(RecordProblem("lon", _("lon and lat are required")))
        else:
            fields["location"] = None
        return
    if lon is None or lat is None:
        problems.append(RecordProblem("lon" if lon is None else "lat", _("give both lon and lat")))
        return
    try:
        lon, lat = inputs.lonlat(lon, lat)
        wlon, wlat = inputs.to_wgs84(lon, lat, ctx.crs)
    except Invalid as exc:
        problems.append(RecordProblem("lat", str(exc)))
        return
    where = {"lon": lon, "lat": lat}
    swapped = _misplaced(ctx.jurisdiction_boundary(), ctx, lon, lat, wlon, wlat)
    if swapped is not None:
        message = (
            _("(%(lon)s, %(lat)s) is outside your jurisdiction (lon and lat look swapped)")
            if swapped
            else _("(%(lon)s, %(lat)s) is outside your jurisdiction")
        )
        problems.append(RecordProblem("lon", message % where))
        return
    swapped = _misplaced(ctx.boundary_of(area), ctx, lon, lat, wlon, wlat) if area is not None else None
    if swapped is not None:
        message = (
            _("(%(lon)s, %(lat)s) is outside %(area)s (%(code)s) (lon and lat look swapped)")
            if swapped
            else _("(%(lon)s, %(lat)s) is outside %(area)s (%(code)s)")
        )
        problems.append(RecordProblem("lon", message % {**where, "area": area.name, "code": area.code}))
        return
    fields["location"] = Point(wlon, wlat, srid=4326)
    fields["input_crs"] = ctx.crs.value


def _misplaced(shape, ctx: Context, lon, lat, wlon, wlat) -> bool | None:
    """None when the WGS-84 point lies in ``shape`` (or there is none); otherwise whether the point given
    with lon and lat swapped would lie in it (the message then says so)."""
    if shape is None or shapely.contains_xy(shape, wlon, wlat):
        return None
    return bool(shapely.contains_xy(shape, *map(float, crslib.to_wgs84(lat, lon, ctx.crs))))


def _cross_checks(kind, fields, instance, problems):
    def value(name):
        if name in fields:
            return fields[name]
        return getattr(instance, name, None) if instance is not None else None

    if kind.slug == "rescue-teams":
        members, core = value("members") or 0, value("core_members") or 0
        if core > members:
            problems.append(
                RecordProblem(
                    "core_members",
                    _("%(core)s core members but only %(members)s members")
                    % {"core": core, "members": members},
                )
            )
    if kind.slug == "shelters":
        capacity, occupancy = value("capacity"), value("occupancy") or 0
        if capacity is not None and occupancy > capacity:
            problems.append(
                RecordProblem(
                    "occupancy",
                    _("occupancy %(occupancy)s exceeds capacity %(capacity)s")
                    % {"occupancy": occupancy, "capacity": capacity},
                )
            )


@transaction.atomic
def save_resource(kind: Kind, fields: dict, instance=None):
    """Create (``instance`` None) or update a record from cleaned fields. Returns (obj, outcome)."""
    if instance is None:
        obj = kind.model(**fields)
        save_or_conflict(obj, _integrity_conflict)
        if kind.slug == "shelters":
            _log_occupancy(obj)
        return obj, "created"
    obj = kind.model.objects.select_for_update().get(pk=instance.pk)
    changed = [name for name, value in fields.items() if differs(getattr(obj, name), value)]
    if not changed:
        return obj, "unchanged"
    for _n, message in held_problems(kind, [(obj, fields)]):
        raise Conflict(message)
    for name in changed:
        setattr(obj, name, fields[name])
    save_or_conflict(obj, _integrity_conflict)
    if kind.slug == "shelters" and {"occupancy", "status"} & set(changed):
        _log_occupancy(obj)
    return obj, "updated"


# Records per statement when many are written at once.
BULK_BATCH = 500


def _chunks(items: list, size: int = BULK_BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class RecordConflict(Conflict):
    """A record of a batch (``save_resources``) that could not be written: ``index`` is its place in the
    batch (None when the database refused the new records together); ``details`` the keys concerned."""

    def __init__(self, message: str, index: int | None = None, keys=None):
        super().__init__(message, sorted(keys) if keys else None)
        self.index = index


def on_registry_write(sender, using=None, **kwargs) -> None:
    """A record (or an admin area) was saved or deleted: raise the registry's version in the same
    transaction (connected in ``apps.ready`` to every resource model and ``AdminArea``)."""
    RegistryVersion.bump(using)


@transaction.atomic
def save_one(model, fields: dict, instance, conflict) -> tuple[object, str]:
    """Create (``instance`` None) or update one record of ``model`` from cleaned fields, the row locked and
    only the fields that differ set: (record, created / updated / unchanged). ``conflict(exc)`` is the
    ``Conflict`` an ``IntegrityError`` becomes (a key taken). Monitoring's sources and stations."""
    if instance is None:
        obj = model(**fields)
    else:
        obj = model.objects.select_for_update().get(pk=instance.pk)
        changed = changed_fields(obj, fields)
        if not changed:
            return obj, "unchanged"
        for name in changed:
            setattr(obj, name, fields[name])
    save_or_conflict(obj, conflict)
    return obj, "created" if instance is None else "updated"


def save_or_conflict(obj, conflict) -> None:
    """Save ``obj`` in a savepoint; an ``IntegrityError`` (a key taken) raises ``conflict(exc)``."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise conflict(exc) from None


def _integrity_conflict(exc: IntegrityError) -> Conflict:
    return Conflict(_integrity_message(exc))


def changed_fields(instance, fields: dict) -> list[str]:
    """The names in ``fields`` whose value differs from ``instance``'s: a relation by its key (read
    without a query), a list of choices as a set (core's ``differs``)."""
    opts = instance._meta
    changed = []
    for name, value in fields.items():
        field = opts.get_field(name)
        current = getattr(instance, field.attname) if field.is_relation else getattr(instance, name)
        if differs(current, value, unordered_lists=True):
            changed.append(name)
    return changed


def save_resources(kind: Kind, writes, *, keep: tuple[str, ...] = ()) -> list[tuple[object, str]]:
    """Create and update many records of one kind at once — the bulk write of the importers and the demo.
    ``writes`` is ``[(fields, record as loaded when checked, or None to create)]``; returns
    ``[(obj, outcome)]`` in the same order (created / updated / unchanged). ``keep`` names fields set only
    when a record is created (operational state a re-load must not undo).

    One short transaction running one statement per batch of records (500; on SQLite as many as 999
    parameters allow) — records, change log (``changelog.log_bulk``, the rows the signals would write)
    and shelter occupancy history all in bulk — so the write lock (SQLite has one for the whole database)
    is held for a moment, not for the length of a file. Records to update are read again under lock and
    compared afresh, so a change made since the check is neither lost nor counted twice. A key to create
    that has been taken, or a record to update that was deleted, since the check raises
    ``RecordConflict`` naming the keys, and nothing is written."""
    from citywatch.core.changelog import log_bulk
    from citywatch.core.choices import ChangeAction

    key = "external_id" if kind.located else "code"
    results: list = [None] * len(writes)
    with transaction.atomic():
        new = [(index, fields) for index, (fields, instance) in enumerate(writes) if instance is None]
        keys = [fields[key] for _index, fields in new if fields.get(key)]
        taken = []
        for chunk in _chunks(keys):
            taken += kind.model.objects.filter(**{f"{key}__in": chunk}).values_list(key, flat=True)
        repeated = {k for k in keys if keys.count(k) > 1} if len(set(keys)) != len(keys) else set()
        if taken or repeated:
            raise RecordConflict(
                _("another record already has this external id"), None, set(taken) | repeated
            )
        updates = [(index, fields, instance) for index, (fields, instance) in enumerate(writes) if instance]
        fresh = {}
        related = ["area"] if kind.located else []
        for chunk in _chunks([instance.pk for _index, _fields, instance in updates]):
            qs = kind.model.objects.select_for_update(of=("self",)).select_related(*related)
            fresh.update((obj.pk, obj) for obj in qs.filter(pk__in=chunk))
        gone = [
            (index, getattr(instance, key)) for index, _f, instance in updates if instance.pk not in fresh
        ]
        if gone:
            raise RecordConflict(
                _("the record was deleted while the import was being checked"),
                gone[0][0],
                [k for _i, k in gone],
            )
        now = timezone.now()
        updated, names, occupancy_changed, state_changes = [], set(), [], []
        for index, fields, instance in updates:
            obj = fresh[instance.pk]
            wanted = {name: value for name, value in fields.items() if name not in keep}
            changed = changed_fields(obj, wanted)
            if not changed:
                results[index] = (obj, "unchanged")
                continue
            if kind.state_field in changed:  # the record as it is now (it changes below)
                state = getattr(obj, kind.state_field)
                before = SimpleNamespace(pk=obj.pk, name=obj.name, **{kind.state_field: state})
                state_changes.append((index, before, wanted, getattr(obj, key)))
            for name in changed:
                setattr(obj, name, wanted[name])
            obj.updated_at = now  # bulk_update leaves auto_now fields alone
            names.update(changed)
            updated.append(obj)
            results[index] = (obj, "updated")
            if {"occupancy", "status"} & set(changed):
                occupancy_changed.append(obj)
        for n, message in held_problems(kind, [(obj, wanted) for _i, obj, wanted, _k in state_changes]):
            index, _obj, _wanted, record_key = state_changes[n]
            raise RecordConflict(message, index, [record_key])
        created = [kind.model(**fields) for _index, fields in new]
        try:
            with transaction.atomic():
                kind.model.objects.bulk_create(created, batch_size=BULK_BATCH)
                if updated:
                    kind.model.objects.bulk_update(
                        updated, [*sorted(names), "updated_at"], batch_size=BULK_BATCH
                    )
        except IntegrityError as exc:
            raise RecordConflict(_integrity_message(exc), None) from None
        log_bulk(created, ChangeAction.CREATE)
        log_bulk(updated, ChangeAction.UPDATE)
        if created or updated:
            RegistryVersion.bump()  # bulk writes send no signal
        if kind.slug == "shelters":
            _log_occupancy(*created, *occupancy_changed)
        for (index, _fields), obj in zip(new, created, strict=True):
            results[index] = (obj, "created")
    return results


def held_by(model, pks) -> dict[int, str]:
    """The records among ``pks`` that an active order holds now: pk → what holds it (``HOLDERS``)."""
    out: dict[int, str] = {}
    for holder in HOLDERS:
        out.update(holder(model, list(pks)))
    return out


def held_problems(kind: Kind, writes) -> list[tuple[int, str]]:
    """The changes of state among ``writes`` (``[(record as locked, new fields)]``) that belong to an
    order, as (position in ``writes``, message). A record an order holds keeps its state until the order
    moves it (release or recall the order first); the held state itself (deployed, busy) is set by orders
    only."""
    if kind.held_state is None:
        return []
    field = kind.model._meta.get_field(kind.state_field)
    changing = [
        (n, obj, fields)
        for n, (obj, fields) in enumerate(writes)
        if field.name in fields and differs(getattr(obj, field.name), fields[field.name])
    ]
    if not changing:
        return []
    held = held_by(kind.model, [obj.pk for _n, obj, _fields in changing])
    problems = []
    for n, obj, fields in changing:
        if obj.pk in held:
            message = _(
                "%(name)s is on %(order)s: its %(field)s changes with the order's steps; release or recall "
                "the order first"
            ) % {"name": obj.name, "order": held[obj.pk], "field": field.verbose_name}
        elif fields[field.name] == kind.held_state:
            message = _("%(name)s cannot be set to %(state)s by hand: only an order does that") % {
                "name": obj.name,
                "state": dict(field.flatchoices)[kind.held_state],
            }
        else:
            continue
        problems.append((n, message))
    return problems


def _integrity_message(exc) -> str:
    text = str(exc)
    if "external_id" in text:
        return _("another record already has this external id")
    if "core_within_members" in text:
        return _("core members exceed members")
    return _("the record conflicts with another one")


@transaction.atomic
def delete_resource(kind: Kind, instance) -> None:
    from django.db.models import ProtectedError

    try:
        instance.delete()
    except ProtectedError:
        raise Conflict(
            _("%(record)s is still referenced (e.g. by stock movements); it cannot be deleted")
            % {"record": instance}
        ) from None


# --- Shelters -------------------------------------------------------------------------------------


def _log_occupancy(*shelters: Shelter) -> None:
    """A line of each shelter's occupancy history: its occupancy and status now, by the current actor."""
    user = current_actor().user
    ShelterOccupancy.objects.bulk_create(
        [
            ShelterOccupancy(
                shelter=shelter,
                occupancy=shelter.occupancy,
                status=shelter.status,
                user=user if getattr(user, "pk", None) else None,
            )
            for shelter in shelters
        ],
        batch_size=BULK_BATCH,
    )


@transaction.atomic
def set_shelter_occupancy(shelter: Shelter, occupancy: int, status: str | None = None) -> Shelter:
    shelter = Shelter.objects.select_for_update().get(pk=shelter.pk)
    if occupancy < 0:
        raise ActionError(_("occupancy must not be negative"))
    if occupancy > shelter.capacity:
        raise ActionError(
            _("occupancy %(occupancy)s exceeds capacity %(capacity)s")
            % {"occupancy": occupancy, "capacity": shelter.capacity}
        )
    if status is None:
        if occupancy >= shelter.capacity:
            status = ShelterStatus.FULL
        elif shelter.status == ShelterStatus.FULL:
            status = ShelterStatus.OPEN
        else:
            status = shelter.status
    if status not in ShelterStatus.values:
        raise ActionError(_("unknown status %(status)s") % {"status": repr(status)})
    shelter.occupancy, shelter.status = occupancy, status
    shelter.save()
    _log_occupancy(shelter)
    return shelter


# --- The stock ledger -----------------------------------------------------------------------------


def _locked_balance(depot: Depot, item: SupplyItem) -> StockBalance:
    """The (depot, item) balance row, created if new, locked until the transaction ends."""
    try:
        with transaction.atomic():
            StockBalance.objects.get_or_create(depot=depot, item=item)
    except IntegrityError:
        pass  # created concurrently by another transaction: lock that one
    return StockBalance.objects.select_for_update().get(depot=depot, item=item)


@transaction.atomic
def record_movement(
    depot: Depot,
    item: SupplyItem,
    kind: str,
    quantity,
    *,
    reference: str = "",
    note: str = "",
    user=None,
    counterpart: StockMovement | None = None,
    fulfils: object = None,
) -> StockMovement:
    """Add one ledger line and update the balance. An issue, transfer out or write-off larger than the
    balance is refused (Conflict) and nothing is written. Adjustments may be negative. An issue or a
    transfer out must also leave what is promised and not yet shipped (``COMMITMENTS``: approved supply
    requests); ``fulfils`` names the promise this movement ships (a supply request), left out of that."""
    if kind not in MovementKind.values:
        raise ActionError(
            _("unknown movement kind %(kind)s; use %(kinds)s")
            % {"kind": repr(kind), "kinds": ", ".join(MovementKind.values)}
        )
    quantity = inputs.quantity(quantity, signed=True)
    if kind == MovementKind.ADJUSTMENT:
        if quantity == 0:
            raise ActionError(_("an adjustment must change the balance"))
        delta = quantity
    else:
        if quantity <= 0:
            raise ActionError(_("quantity must be positive"))
        delta = quantity * MOVEMENT_SIGN[kind]
    balance = _locked_balance(depot, item)
    new = balance.quantity + delta
    if new < 0:
        raise Conflict(
            _("%(depot)s holds %(quantity)s %(unit)s of %(item)s; cannot take %(wanted)s")
            % {
                "depot": depot.name,
                "quantity": f"{balance.quantity.normalize():f}",
                "unit": item.unit,
                "item": item.name,
                "wanted": f"{(-delta).normalize():f}",
            }
        )
    if kind in (MovementKind.ISSUE, MovementKind.TRANSFER_OUT) and COMMITMENTS:
        promised = sum((commitment(depot, item, fulfils) for commitment in COMMITMENTS), Decimal(0))
        if new < promised:
            raise Conflict(
                _(
                    "%(depot)s holds %(quantity)s %(unit)s of %(item)s, %(promised)s of it approved for "
                    "requests not yet shipped: at most %(free)s can go, not %(wanted)s; change the requests "
                    "first"
                )
                % {
                    "depot": depot.name,
                    "quantity": f"{balance.quantity.normalize():f}",
                    "unit": item.unit,
                    "item": item.name,
                    "promised": f"{promised.normalize():f}",
                    "free": f"{max(balance.quantity - promised, Decimal(0)).normalize():f}",
                    "wanted": f"{(-delta).normalize():f}",
                }
            )
    balance.quantity = new
    balance.save(update_fields=["quantity", "updated_at"])
    actor_user = user or current_actor().user
    return StockMovement.objects.create(
        depot=depot,
        item=item,
        kind=kind,
        delta=delta,
        balance_after=new,
        time=timezone.now(),
        user=actor_user if getattr(actor_user, "pk", None) else None,
        reference=reference[:100],
        note=note[:200],
        counterpart=counterpart,
    )


@transaction.atomic
def receive_stock(receipts, *, reference: str = "", note: str = "", user=None) -> list[StockMovement]:
    """Receipts for many (depot, item) pairs at once — an opening stock, a delivery note of many lines:
    the same ledger lines and balances as ``record_movement`` for each, in a few statements. ``receipts``
    is a list of (depot, item, quantity) with distinct (depot, item) pairs and positive quantities; one
    bad line refuses them all and nothing is written."""
    lines = []
    for depot, item, quantity in receipts:
        quantity = inputs.quantity(quantity, signed=True)
        if quantity <= 0:
            raise ActionError(_("quantity must be positive"))
        lines.append((depot, item, quantity))
    pairs = {(depot.pk, item.pk) for depot, item, _quantity in lines}
    if len(pairs) != len(lines):
        raise ActionError(_("each depot and item may appear once in a receipt"))
    if not lines:
        return []
    depot_ids = {depot_id for depot_id, _item in pairs}
    StockBalance.objects.bulk_create(
        [StockBalance(depot_id=depot_id, item_id=item_id) for depot_id, item_id in pairs],
        ignore_conflicts=True,
    )
    balances = {
        (b.depot_id, b.item_id): b
        for b in StockBalance.objects.select_for_update().filter(depot_id__in=depot_ids)
        if (b.depot_id, b.item_id) in pairs
    }
    now = timezone.now()
    actor_user = user or current_actor().user
    movements = []
    for depot, item, quantity in lines:
        balance = balances[(depot.pk, item.pk)]
        balance.quantity += quantity
        balance.updated_at = now
        movements.append(
            StockMovement(
                depot=depot,
                item=item,
                kind=MovementKind.RECEIPT,
                delta=quantity,
                balance_after=balance.quantity,
                time=now,
                user=actor_user if getattr(actor_user, "pk", None) else None,
                reference=reference[:100],
                note=note[:200],
            )
        )
    StockBalance.objects.bulk_update(list(balances.values()), ["quantity", "updated_at"], batch_size=500)
    return StockMovement.objects.bulk_create(movements, batch_size=500)


@transaction.atomic
def transfer(source: Depot, target: Depot, item: SupplyItem, quantity, *, reference: str = "", user=None):
    """Move stock between depots: two ledger lines that point at each other, or nothing."""
    if source.pk == target.pk:
        raise ActionError(_("a transfer needs two different depots"))
    # Lock both balances in a fixed order so two opposite transfers cannot deadlock.
    for depot in sorted((source, target), key=lambda d: d.pk):
        _locked_balance(depot, item)
    out = record_movement(source, item, MovementKind.TRANSFER_OUT, quantity, reference=reference, user=user)
    inn = record_movement(
        target, item, MovementKind.TRANSFER_IN, quantity, reference=reference, user=user, counterpart=out
    )
    StockMovement.objects.filter(pk=out.pk).update(counterpart=inn)
    out.counterpart = inn
    return out, inn
