"""An incident from the first report to closure: reporting it, editing it, moving it through its
lifecycle and recording the upward reports.

The lifecycle is a table (``TRANSITIONS``, served by ``LIFECYCLE``): reported → verified → responding →
stabilised → closed; cancel (a false report) from reported or verified; reopen, with a reason, from closed
or cancelled. Each step locks the row, checks the client's ``version``, bumps it, stamps the state's time
and appends to the incident log; an illegal step or a stale version is a Conflict (409).
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from citywatch.core import inputs
from citywatch.core.choices import AreaLevel
from citywatch.core.errors import Conflict, Invalid
from citywatch.core.lifecycle import Lifecycle, stamped, transitions
from citywatch.core.models import AdminArea
from citywatch.core.models.base import scope_of
from citywatch.geo.land import current_land
from citywatch.incidents.actions.incident import (
    actor,
    append_log,
    assign_changes,
    lock_incident,
    log_text,
)
from citywatch.incidents.actions.orders import ORDER_KINDS
from citywatch.incidents.choices import (
    TYPE_CATEGORIES,
    Category,
    IncidentStatus,
    IncidentType,
    LogKind,
    ReportedVia,
    Severity,
)
from citywatch.incidents.grading import proposed_severity
from citywatch.incidents.models import Incident

S = IncidentStatus
# (state, action) → new state. Anything not listed is illegal (409).
TRANSITIONS = transitions(
    (S.REPORTED, "verify", S.VERIFIED),
    (S.VERIFIED, "respond", S.RESPONDING),
    (S.RESPONDING, "stabilise", S.STABILISED),
    (S.STABILISED, "close", S.CLOSED),
    ((S.REPORTED, S.VERIFIED), "cancel", S.CANCELLED),
    ((S.CLOSED, S.CANCELLED), "reopen", S.RESPONDING),
)
STATE_TIMESTAMP = stamped(S.REPORTED, S.VERIFIED, S.RESPONDING, S.STABILISED, S.CLOSED, S.CANCELLED)
LIFECYCLE = Lifecycle(
    TRANSITIONS,
    STATE_TIMESTAMP,
    IncidentStatus,
    illegal=gettext_noop("cannot %(action)s an incident that is %(status)s; allowed: %(allowed)s"),
    illegal_final=gettext_noop("cannot %(action)s an incident that is %(status)s"),
    clears={"reopen": ("closed_at", "cancelled_at")},
)
ACTIONS = LIFECYCLE.actions
REASON_REQUIRED = frozenset({"reopen"})
# The states an incident cannot reach while orders still hold their resources.
ENDS = frozenset({S.CLOSED, S.CANCELLED})


@transaction.atomic
def transition(incident: Incident, action: str, user, reason: str = "", expected_version: int | None = None):
    """Move the incident through its lifecycle; an action not allowed from its state is a Conflict, as
    is closing or cancelling while teams are dispatched or experts summoned."""
    LIFECYCLE.check(action)
    reason = (reason or "").strip()
    if action in REASON_REQUIRED and not reason:
        raise Invalid(_("%(action)s needs a reason") % {"action": action})
    incident = lock_incident(incident, expected_version)
    if LIFECYCLE.target(incident.status, action) in ENDS:
        for kind in ORDER_KINDS:
            active = kind.active(incident)
            if active:
                raise Conflict(_(kind.still_active) % {"count": active, "action": action})
    old, new = LIFECYCLE.apply(incident, action)
    incident.version += 1
    incident.save()
    append_log(
        incident,
        LogKind.STATUS,
        log_text(gettext_noop("status: %(old)s → %(new)s"), note=reason, old=S(old).label, new=S(new).label),
        user,
        {"action": action, "from": old, "to": new, "reason": reason, "version": incident.version},
    )
    return incident


REPORT_FIELDS = {"first": "first_report_at", "written": "written_report_at"}
REPORT_SENT = {"first": gettext_noop("first report sent"), "written": gettext_noop("written report sent")}
REPORT_RECORDED = {
    "first": gettext_noop("the first report was already recorded"),
    "written": gettext_noop("the written report was already recorded"),
}


@transaction.atomic
def record_report(incident: Incident, which: str, user, expected_version: int | None = None, note: str = ""):
    """Record that the first (quick) or written report went up to the next level."""
    if which not in REPORT_FIELDS:
        raise Invalid(_("unknown report %(which)s; use first or written") % {"which": repr(which)})
    incident = lock_incident(incident, expected_version)
    if incident.verified_at is None or incident.status == S.CANCELLED:
        raise Conflict(_("only a verified incident is reported upwards"))
    field = REPORT_FIELDS[which]
    if getattr(incident, field) is not None:
        raise Conflict(_(REPORT_RECORDED[which]))
    if which == "written" and incident.first_report_at is None:
        raise Conflict(_("record the first report before the written report"))
    setattr(incident, field, timezone.now())
    incident.version += 1
    incident.save()
    append_log(
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
    "people_trapped",
    "direct_loss_cny",
    "affected_area",
    "caller_name",
    "caller_phone",
    "occurred_at",
)
REQUIRED = ("title", "category", "type", "lon", "lat")
COUNTS = ("deaths", "serious_injuries", "injuries", "missing", "people_trapped")
# Where an incident can be: China and its seas (a point outside, or at (0, 0), is a typing error).
CHINA_BOUNDS = (73.4, 3.8, 135.1, 53.6)
CHOICES = {"category": Category, "type": IncidentType, "severity": Severity, "reported_via": ReportedVia}
MAX_LOSS_CNY = Decimal("99999999999999.99")  # what the column holds


def _label(name: str):
    """The name a user knows a field of the incident body by (translated)."""
    if name in ("lon", "lat"):
        return _("longitude") if name == "lon" else _("latitude")
    if name == "crs":
        return _("coordinate system")
    try:
        return Incident._meta.get_field(name).verbose_name
    except LookupError:
        return name


def place_of(point: Point) -> dict:
    """Where a WGS-84 point lies: ``area`` (the deepest area containing it, else the city),
    ``outside_city`` (outside every district boundary), ``at_sea`` (outside every district and off the
    land of the land dataset; False when no land dataset is loaded). A point outside China or at (0, 0)
    is refused (Invalid)."""
    west, south, east, north = CHINA_BOUNDS
    if (point.x == 0 and point.y == 0) or not (west <= point.x <= east and south <= point.y <= north):
        raise Invalid(
            _("(%(lon)s, %(lat)s) is not in China: check the longitude and latitude")
            % {"lon": f"{point.x:.6f}", "lat": f"{point.y:.6f}"}
        )
    area, outside = locate(point)
    at_sea = False
    if outside:
        land = current_land()
        if land is not None:
            import shapely  # noqa: PLC0415 (shapely is a heavy import only this check needs)

            at_sea = not land.intersects(shapely.Point(point.x, point.y))
    return {"area": area, "outside_city": outside, "at_sea": at_sea}


def clean_incident(data: dict, user, instance: Incident | None = None) -> dict:
    """Model field values from an API body or the report form (create: all required fields; update: the
    ones given). A location outside the user's jurisdiction is refused."""
    fields: dict = {}
    unknown = set(data) - set(EDITABLE) - {"lon", "lat", "crs"}
    if unknown:
        raise Invalid(_("unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for name in ("caller_name", "caller_phone"):
        if name in data:
            fields[name] = inputs.text(data[name], _label(name), maximum=100 if name == "caller_name" else 32)
    if "occurred_at" in data:
        value = data["occurred_at"]
        if isinstance(value, str):
            value = inputs.local_datetime(value, _label("occurred_at"), required=False)
        elif value is not None and not isinstance(value, datetime.datetime):
            raise Invalid(
                _("%(field)s is not a valid date and time (YYYY-MM-DD HH:MM).")
                % {"field": _label("occurred_at")}
            )
        value = inputs.aware(value, _label("occurred_at"))
        if value is not None and value > timezone.now() + datetime.timedelta(minutes=5):
            raise Invalid(_("%(field)s is in the future") % {"field": _label("occurred_at")})
        fields["occurred_at"] = value
    if instance is None:
        for name in REQUIRED:
            if data.get(name) in (None, ""):
                raise Invalid(_("%(name)s is required") % {"name": _label(name)})
    if "title" in data:
        fields["title"] = inputs.text(data["title"], _label("title"), maximum=200, required=True)
    if "description" in data:
        fields["description"] = inputs.text(
            data["description"], _label("description"), maximum=10000, strip=False
        )
    for name, choices in CHOICES.items():
        if name in data and data[name] is not None:
            value = str(data[name])
            if value not in choices.values:
                raise Invalid(
                    _("unknown %(name)s %(value)s; use %(values)s")
                    % {"name": _label(name), "value": repr(value), "values": ", ".join(choices.values)}
                )
            fields[name] = value
    category = fields.get("category", getattr(instance, "category", None))
    kind = fields.get("type", getattr(instance, "type", None))
    if category and kind and category not in TYPE_CATEGORIES[kind]:
        raise Invalid(
            _("type %(type)s belongs to %(categories)s, not %(category)s")
            % {
                "type": IncidentType(kind).label,
                "categories": pgettext("list separator", ", ").join(
                    str(Category(c).label) for c in sorted(TYPE_CATEGORIES[kind])
                ),
                "category": Category(category).label,
            }
        )
    if "exercise" in data:
        if not isinstance(data["exercise"], bool):
            raise Invalid(_("%(name)s must be true or false") % {"name": _label("exercise")})
        fields["exercise"] = data["exercise"]
    for name in COUNTS:
        if name in data:
            fields[name] = inputs.count(data[name], _label(name))
    if "direct_loss_cny" in data:
        loss = inputs.number(
            data["direct_loss_cny"], _label("direct_loss_cny"), minimum=0, maximum=MAX_LOSS_CNY
        )
        fields["direct_loss_cny"] = loss.quantize(Decimal("0.01"))
    if "affected_area" in data:
        fields["affected_area"] = inputs.multipolygon(data["affected_area"], _label("affected_area"))
    if "lon" in data or "lat" in data:
        if "lon" not in data or "lat" not in data:
            raise Invalid(_("give both lon and lat"))
        point = inputs.point(data["lon"], data["lat"], data.get("crs") or "wgs84")
        where = place_of(point)
        if not scope_of(user).covers(where["area"].path):
            raise Invalid(
                _("(%(lon)s, %(lat)s) is outside your jurisdiction")
                % {"lon": f"{point.x:.6f}", "lat": f"{point.y:.6f}"}
            )
        fields.update(location=point, **where)
    return fields


@transaction.atomic
def create_incident(user, data: dict) -> Incident:
    """Report an incident; its area is found from its location. For accident disasters the severity, if
    not given, is the grade by Order 493."""
    fields = clean_incident(data, user)
    incident = Incident(**fields, reported_by=actor(user), reported_at=timezone.now())
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
    append_log(
        incident, LogKind.STATUS, text, user, {"action": "report", "to": incident.status, "version": 1}
    )
    return incident


@transaction.atomic
def update_incident(incident: Incident, user, data: dict, expected_version: int | None = None) -> Incident:
    """Change the incident's fields (while it is open); nothing changed, nothing written."""
    incident = lock_incident(incident, expected_version)
    if incident.status in ENDS:
        raise Conflict(
            _("a %(status)s incident cannot be edited; reopen it first")
            % {"status": S(incident.status).label}
        )
    old_severity = incident.severity
    changed = assign_changes(incident, clean_incident(data, user, instance=incident))
    if not changed:
        return incident
    incident.version += 1
    incident.save()
    if "severity" in changed:
        # Ⅰ is the most serious: a smaller number is an upgrade (升级), logged as such.
        upgrade = int(incident.severity) < int(old_severity)
        append_log(
            incident,
            LogKind.SEVERITY,
            log_text(
                gettext_noop("severity upgraded: %(old)s → %(new)s")
                if upgrade
                else gettext_noop("severity downgraded: %(old)s → %(new)s"),
                old=Severity(old_severity).label,
                new=Severity(incident.severity).label,
            ),
            user,
            {
                "severity": {"from": old_severity, "to": incident.severity},
                "upgrade": upgrade,
                "version": incident.version,
            },
        )
    others = [n for n in changed if n != "severity"]
    if others:
        append_log(
            incident,
            LogKind.EDIT,
            log_text(gettext_noop("changed %(fields)s"), fields=[_label(n) for n in others]),
            user,
            {"fields": others, "version": incident.version},
        )
    return incident
