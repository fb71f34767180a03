"""Situation reports (突发事件信息报告): generated from the incident as numbered drafts, edited (each edit
adds one to ``version``), then issued and never changed again (``SITREPS``: draft → issued). Their
documents (HTML, PDF, DOCX) are rendered by ``citywatch.incidents.documents``.

Each action locks the incident row first (so numbering is race-free) and writes one entry to the
incident log.
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citywatch.core import inputs
from citywatch.core.errors import Conflict, Invalid
from citywatch.core.lifecycle import Lifecycle, stamped, transitions
from citywatch.incidents.actions.incident import (
    actor,
    append_log,
    assign_changes,
    lock_incident,
    lock_record,
    log_text,
    require_version,
)
from citywatch.incidents.choices import DispatchStatus, LogKind, SupplyStatus, TaskStatus
from citywatch.incidents.models import Incident, Sitrep, SitrepStatus

EDITABLE = (
    "summary",
    "timeline",
    "forces",
    "supplies",
    "deaths",
    "serious_injuries",
    "injuries",
    "missing",
    "needs",
    "next_steps",
)
LIST_FIELDS = frozenset({"timeline", "forces", "supplies"})
COUNTS = ("deaths", "serious_injuries", "injuries", "missing")
TEXTS = {"summary": 20000, "needs": 10000, "next_steps": 10000}
MAX_ROWS = 2000
MAX_CELL = 1000
MAX_KEY = 40
STALE_SITREP = gettext_noop(
    "the sitrep was changed by someone else (version %(current)s, you sent %(sent)s); reload and try again"
)
SITREPS = Lifecycle(
    transitions((SitrepStatus.DRAFT, "issue", SitrepStatus.ISSUED)),
    stamped(SitrepStatus.ISSUED),
    SitrepStatus,
    illegal=gettext_noop("cannot %(action)s a sitrep that is %(status)s"),
)


def _qty(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def snapshot(incident: Incident) -> dict:
    """The generated content of a new sitrep: the incident as it stands."""
    timeline = [
        {"time": _iso(e.time), "kind": e.kind, "text": e.text} for e in incident.log.order_by("time", "id")
    ]
    forces = [
        {
            "team": d.team.name,
            "status": d.status,
            "status_label": str(DispatchStatus(d.status).label),
            "requested_at": _iso(d.requested_at),
            "on_scene_at": _iso(d.on_scene_at),
            "released_at": _iso(d.released_at),
        }
        for d in incident.dispatches.select_related("team").order_by("requested_at", "id")
    ]
    requests = list(incident.supply_requests.select_related("item", "depot").order_by("requested_at", "id"))
    supplies = [
        {
            "item": r.item.name,
            "unit": r.item.unit,
            "depot": r.depot.name,
            "status": r.status,
            "status_label": str(SupplyStatus(r.status).label),
            "requested": _qty(r.quantity_requested),
            "approved": _qty(r.quantity_approved),
            "shipped": _qty(r.quantity_shipped),
            "received": _qty(r.quantity_received),
        }
        for r in requests
    ]
    outstanding = []  # asked for (approved, once approved) but not yet shipped
    for r in requests:
        if r.status in (SupplyStatus.REJECTED, SupplyStatus.CANCELLED, SupplyStatus.RECEIVED):
            continue
        wanted = r.quantity_requested if r.status == SupplyStatus.REQUESTED else r.quantity_approved
        if wanted > r.quantity_shipped:
            outstanding.append(f"{r.item.name} {_qty(wanted - r.quantity_shipped)} {r.item.unit}")
    tasks = [task.title for task in incident.tasks.filter(status=TaskStatus.OPEN).order_by("due_at", "id")]
    return {
        "summary": incident.description,
        "timeline": timeline,
        "forces": forces,
        "supplies": supplies,
        **{name: getattr(incident, name) for name in COUNTS},
        "needs": "\n".join(outstanding),
        "next_steps": "\n".join(tasks),
        "exercise": incident.exercise,
    }


@transaction.atomic
def generate_sitrep(incident: Incident, user) -> Sitrep:
    """A new draft, numbered one more than the incident's last sitrep."""
    incident = lock_incident(incident)
    last = Sitrep.objects.filter(incident=incident).aggregate(n=Max("number"))["n"] or 0
    sitrep = Sitrep.objects.create(
        incident=incident, number=last + 1, created_by=actor(user), **snapshot(incident)
    )
    append_log(
        incident,
        LogKind.REPORT,
        log_text(gettext_noop("sitrep No. %(number)s drafted"), number=sitrep.number),
        user,
        {"sitrep": sitrep.number, "action": "generate", "version": sitrep.version},
    )
    return sitrep


def _lock_draft(sitrep: Sitrep, expected_version: int | None) -> Sitrep:
    """The sitrep and its incident locked; an issued sitrep or a stale version is a Conflict."""
    _incident, locked = lock_record(sitrep)
    if locked.status == SitrepStatus.ISSUED:
        raise Conflict(
            _("sitrep No. %(number)s was issued and cannot be changed") % {"number": locked.number}
        )
    require_version(locked, expected_version, STALE_SITREP)
    return locked


def _cell(name: str, number: int, key, cell):
    """One cell of a sitrep table: text or a (finite) number, short."""
    if not isinstance(key, str) or len(key) > MAX_KEY or "\x00" in key:
        raise Invalid(
            _("%(name)s row %(number)s: %(key)s is too long (at most %(max)s characters)")
            % {"name": name, "number": number, "key": str(key)[:MAX_KEY], "max": MAX_KEY}
        )
    # JSON has no NaN or infinity (and the request parser lets them through).
    finite = not isinstance(cell, float) or math.isfinite(cell)
    if cell is not None and (isinstance(cell, bool) or not isinstance(cell, str | int | float) or not finite):
        raise Invalid(
            _("%(name)s row %(number)s: %(key)s must be text or a number")
            % {"name": name, "number": number, "key": key}
        )
    if len(str(cell or "")) > MAX_CELL or "\x00" in str(cell or ""):
        raise Invalid(
            _("%(name)s row %(number)s: %(key)s is too long (at most %(max)s characters)")
            % {"name": name, "number": number, "key": key, "max": MAX_CELL}
        )


def _rows(name: str, value) -> list[dict]:
    """A table of the sitrep: at most MAX_ROWS rows, each an object of short text (or number) cells."""
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise Invalid(_("%(name)s must be a list of objects") % {"name": name})
    if len(value) > MAX_ROWS:
        raise Invalid(_("%(name)s has too many rows (at most %(max)s)") % {"name": name, "max": MAX_ROWS})
    for number, row in enumerate(value, 1):
        for key, cell in row.items():
            _cell(name, number, key, cell)
    return value


def clean_sitrep(fields: dict) -> dict:
    """The edited fields of a sitrep, checked."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise Invalid(_("unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    out = {}
    for name, value in fields.items():
        label = Sitrep._meta.get_field(name).verbose_name
        if name in TEXTS:
            value = inputs.text(value, label, maximum=TEXTS[name], strip=False)
        elif name in COUNTS:
            value = inputs.count(value, label)
        elif name in LIST_FIELDS:
            value = _rows(label, value)
        out[name] = value
    return out


@transaction.atomic
def update_sitrep(sitrep: Sitrep, user, fields: dict, expected_version: int | None = None) -> Sitrep:
    """Edit a draft; an issued sitrep or a stale ``expected_version`` is a Conflict."""
    sitrep = _lock_draft(sitrep, expected_version)
    changed = sorted(assign_changes(sitrep, clean_sitrep(fields)))
    if not changed:
        return sitrep
    sitrep.version += 1
    sitrep.save()
    append_log(
        sitrep.incident,
        LogKind.REPORT,
        log_text(
            gettext_noop("sitrep No. %(number)s edited (%(fields)s)"),
            number=sitrep.number,
            fields=[Sitrep._meta.get_field(n).verbose_name for n in changed],
        ),
        user,
        {"sitrep": sitrep.number, "action": "update", "fields": changed, "version": sitrep.version},
    )
    return sitrep


@transaction.atomic
def issue_sitrep(sitrep: Sitrep, user, expected_version: int | None = None) -> Sitrep:
    """Issue a draft; from then on it cannot change."""
    sitrep = _lock_draft(sitrep, expected_version)
    SITREPS.apply(sitrep, "issue")
    sitrep.issued_by = actor(user)
    sitrep.save()
    append_log(
        sitrep.incident,
        LogKind.REPORT,
        log_text(gettext_noop("sitrep No. %(number)s issued"), number=sitrep.number),
        user,
        {"sitrep": sitrep.number, "action": "issue", "version": sitrep.version},
    )
    return sitrep
