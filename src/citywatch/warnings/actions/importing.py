"""Official warnings arriving as CAP 1.2 (an upload, ``POST /api/v1/warnings/cap``, a polled feed).

``import_alert(user, data)`` reads the document with ``cap.check_alert`` (size limit, no DTD or entities,
the official schema, the rules the schema cannot say), then, in one transaction:

- an ``Alert`` becomes a new official warning (issued; expired already if its expiry has passed);
- an ``Update`` or ``Cancel`` finds the warning holding one of its ``references`` and becomes its next
  version (a Cancel lifts it); a reference to nothing held is refused;
- an alert already held (same sender and identifier) is not imported twice: the answer says so.

Every info block, area, polygon, circle and geocode stays in the stored document (the version's ``cap``,
re-encoded as UTF-8); the warning takes its fields from the Chinese info block (else the first), its
English texts from an English one, its areas from the GB/T 2260 geocodes this instance knows and its
polygons from the areas' polygons and circles. A refusal names the rule that failed and stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from citywatch.core.access import require
from citywatch.core.errors import Conflict, Invalid
from citywatch.core.models import AdminArea
from citywatch.warnings import cap
from citywatch.warnings.actions.drafting import common_area, footprint
from citywatch.warnings.actions.lifecycle import LIFECYCLE, announce, change_of, save_version
from citywatch.warnings.cap.safexml import parse_document
from citywatch.warnings.choices import Change, MsgType, Source, WarningStatus
from citywatch.warnings.hazards import ensure_seeded
from citywatch.warnings.models import HazardType, Warning, WarningVersion

IMPORTED_STATUSES = {cap.Status.ACTUAL: False, cap.Status.EXERCISE: True}


@dataclass
class ImportResult:
    warning: Warning
    version: WarningVersion
    created: bool  # False: the alert was already held
    warnings: list[dict] = field(default_factory=list)  # the reader's warnings (accepted anyway)


def refuse(rule: str, message: str, details=None) -> Invalid:
    return Invalid(message, details=details or [{"rule": rule, "level": "error", "message": message}])


def check(data: bytes) -> cap.CapReport:
    """The reader's report, or ``Invalid`` naming every failed rule (``details``: one per problem)."""
    report = cap.check_alert(bytes(data), max_bytes=settings.CITYWATCH_CAP_MAX_BYTES)
    if not report.ok:
        first = report.errors[0]
        raise Invalid(
            _("not a CAP 1.2 alert CityWatch accepts (rule %(rule)s): %(message)s")
            % {"rule": first.rule, "message": first.message},
            details=[p.as_dict() for p in report.errors],
        )
    return report


def _utf8(data: bytes) -> str:
    """The accepted document as UTF-8 text (its own encoding may be GBK or ISO-8859-1)."""
    root = parse_document(bytes(data), max_bytes=settings.CITYWATCH_CAP_MAX_BYTES)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def _pick(alert: cap.Alert) -> tuple[cap.Info, cap.Info | None]:
    main = next(iter(alert.infos_in("zh")), None) or alert.infos[0]
    english = next(iter(alert.infos_in("en")), None)
    return main, english


def hazard_of(alert: cap.Alert) -> HazardType:
    """Our own event code first; then a hazard's name or keyword in an info's event (then headline)."""
    ensure_seeded()
    hazards = list(HazardType.objects.order_by("order", "code"))
    by_code = {h.code: h for h in hazards}
    for info in alert.infos:
        for code in info.event_codes:
            if code.value_name == "hazard" and code.value in by_code:
                return by_code[code.value]
    for attribute in ("event", "headline"):
        texts = [(getattr(info, attribute) or "").lower() for info in alert.infos]
        for hazard in hazards:
            words = [hazard.name, hazard.name_en, *hazard.keywords.split(",")]
            words = [w.strip().lower() for w in words if w.strip()]
            if hazard.code != "other" and any(w in text for w in words for text in texts):
                return hazard
    return by_code.get("other") or hazards[-1]


def _areas_and_polygons(alert: cap.Alert) -> tuple[list[AdminArea], MultiPolygon | None]:
    codes: list[str] = []
    shapes = []
    for info in alert.infos:
        for area in info.areas:
            codes += cap.division_codes(area)
            geometry = area.geometry()
            if geometry is not None and not geometry.is_empty:
                shapes.append(geometry)
    known = list(AdminArea.objects.filter(code__in=set(codes)).order_by("code"))
    polygons = None
    if shapes:
        union = shapely.union_all(shapes)
        parts = [g for g in getattr(union, "geoms", [union]) if g.geom_type == "Polygon"]
        if parts:
            polygons = GEOSGeometry(shapely.MultiPolygon(parts).wkb.hex(), srid=4326)
            polygons.srid = 4326
    return known, polygons


def _fields(alert: cap.Alert) -> dict:
    main, english = _pick(alert)
    level = cap.signal_level(main) or (cap.signal_level(english) if english else None)
    if level is None:
        raise refuse(
            "level-unknown",
            _("the alert gives no signal level (no signalLevel parameter and severity Unknown)"),
        )
    onset = main.onset or main.effective or alert.sent
    expires = main.expires
    if expires is not None and expires <= onset:
        raise refuse("expires-before-onset", _("the alert expires before its onset"))
    return {
        "level": str(level),
        "onset": onset,
        "expires": expires,
        "headline": (main.headline or main.event)[:200],
        "description": main.description or "",
        "instructions": main.instruction or "",
        "headline_en": ((english.headline or english.event) if english else "")[:200],
        "description_en": (english.description or "") if english else "",
        "instructions_en": (english.instruction or "") if english else "",
        "issuer": (main.sender_name or alert.sender)[:200],
    }


def _held(alert: cap.Alert) -> WarningVersion | None:
    return (
        WarningVersion.objects.select_related("warning")
        .filter(sender=alert.sender, identifier=alert.identifier)
        .first()
    )


def _referenced(alert: cap.Alert) -> Warning:
    if not alert.references:
        raise refuse("references-required", _("an Update or Cancel must name the alert it references"))
    for reference in reversed(alert.references):
        version = (
            WarningVersion.objects.select_related("warning")
            .filter(sender=reference.sender, identifier=reference.identifier)
            .first()
        )
        if version is not None:
            return version.warning
    names = ", ".join(r.identifier for r in alert.references[:5])
    raise refuse(
        "references-unknown",
        _("the alert references %(names)s, which CityWatch does not hold; import that alert first")
        % {"names": names},
    )


def _new_version(warning, alert, change, msg_type, user, text) -> WarningVersion:
    last = warning.versions.order_by("-number").first()
    number = (last.number + 1) if last else 1
    return save_version(
        warning,
        number=number,
        previous=last,
        change=change,
        msg_type=msg_type,
        alert=alert,
        sent=alert.sent,
        user=user,
        text=text,
    )


def import_alert(user, data: bytes) -> ImportResult:
    """Import one CAP document (see the module's docstring); ``Invalid`` (422) with every failed rule, or
    ``Conflict`` (409) for an Update or Cancel of a warning that has ended. ``user`` None: the worker
    (a configured feed)."""
    if user is not None:
        require(user, Warning, "add")
    report = check(data)
    alert = report.alert
    accepted = [p.as_dict() for p in report.warnings]
    held = _held(alert)
    if held is not None:
        return ImportResult(held.warning, held, False, accepted)
    if alert.status not in IMPORTED_STATUSES:
        raise refuse(
            "status-not-imported",
            _("a CAP alert of status %(status)s is not a warning; only Actual and Exercise are imported")
            % {"status": alert.status},
        )
    if alert.msg_type not in (cap.MsgType.ALERT, cap.MsgType.UPDATE, cap.MsgType.CANCEL):
        raise refuse(
            "msgtype-not-imported",
            _("a CAP %(type)s message acknowledges or reports an error; it is not a warning")
            % {"type": alert.msg_type},
        )
    if not alert.infos:
        raise refuse("info-required", _("the alert has no info block: nothing to warn of"))
    text = _utf8(data)
    try:
        with transaction.atomic():
            return _store(user, alert, text, accepted)
    except IntegrityError:
        # Imported meanwhile by another worker or request: the alert is held once.
        held = _held(alert)
        if held is None:
            raise
        return ImportResult(held.warning, held, False, accepted)


def _store(user, alert: cap.Alert, text: str, accepted: list[dict]) -> ImportResult:
    now = timezone.now()
    exercise = IMPORTED_STATUSES[alert.status]
    if alert.msg_type == cap.MsgType.ALERT:
        fields = _fields(alert)
        areas, polygons = _areas_and_polygons(alert)
        if not areas and polygons is None:
            raise refuse("area-unknown", _("the alert's areas name no place CityWatch knows and draw none"))
        warning = Warning(
            hazard=hazard_of(alert),
            source=Source.OFFICIAL,
            exercise=exercise,
            area=common_area(areas, None),
            polygons=polygons,
            geometry=footprint(areas, polygons),
            status=WarningStatus.ISSUED,
            issued_at=alert.sent,
            **fields,
        )
        if warning.expires is not None and warning.expires <= now:
            warning.status = WarningStatus.EXPIRED
            warning.expired_at = warning.expires
        warning.save()
        warning.areas.set(areas)
        version = _new_version(warning, alert, Change.ISSUE, MsgType.ALERT, user, text)
        if warning.status == WarningStatus.ISSUED:
            announce(warning, Change.ISSUE, version)
        return ImportResult(warning, version, True, accepted)

    warning = (
        Warning.objects.select_for_update().select_related("hazard", "area").get(pk=_referenced(alert).pk)
    )
    if warning.exercise != exercise:
        raise refuse(
            "status-mismatch", _("an exercise cannot update a real warning, nor the other way round")
        )
    if alert.msg_type == cap.MsgType.CANCEL:
        if warning.status != WarningStatus.ISSUED:
            raise Conflict(
                _("the referenced warning is no longer in force (%(status)s)")
                % {"status": warning.get_status_display()}
            )
        LIFECYCLE.apply(warning, "lift", now=alert.sent)
        warning.version += 1
        warning.save()
        version = _new_version(warning, alert, Change.LIFT, MsgType.CANCEL, user, text)
        announce(warning, Change.LIFT, version)
        return ImportResult(warning, version, True, accepted)

    if warning.status not in (WarningStatus.ISSUED, WarningStatus.EXPIRED):
        raise Conflict(
            _("the referenced warning is no longer in force (%(status)s)")
            % {"status": warning.get_status_display()}
        )
    fields = _fields(alert)
    areas, polygons = _areas_and_polygons(alert)
    if not areas and polygons is None:
        raise refuse("area-unknown", _("the alert's areas name no place CityWatch knows and draw none"))
    before = {"level": warning.level, "expires": warning.expires}
    codes_before = sorted(warning.areas.values_list("code", flat=True))
    for name, value in fields.items():
        setattr(warning, name, value)
    warning.area = common_area(areas, None)
    warning.polygons = polygons
    warning.geometry = footprint(areas, polygons)
    warning.status = WarningStatus.ISSUED
    if warning.expires is not None and warning.expires <= now:
        warning.status = WarningStatus.EXPIRED
        warning.expired_at = warning.expires
    warning.version += 1
    warning.save()
    warning.areas.set(areas)
    change = change_of(before, warning, codes_before, sorted(a.code for a in areas))
    version = _new_version(warning, alert, change, MsgType.UPDATE, user, text)
    announce(warning, change, version)
    return ImportResult(warning, version, True, accepted)
