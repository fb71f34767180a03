"""CAP documents of CityWatch's warnings: each published version as a CAP 1.2 alert (zh-CN and en info
blocks, areas with polygons and the GB/T 2260 geocode), and the Atom feed of the alerts in force.

The document is written once, when the version is published, and stored with it (``WarningVersion.cap``):
what ``/cap/alerts/<identifier>.xml`` serves is exactly what went out.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from citywatch.warnings import cap
from citywatch.warnings.choices import COLOUR_NAMES, MsgType, Source

CANCEL_HEADLINE = {"zh-CN": "解除{}", "en": "Lifted: {}"}
CANCEL_DESCRIPTION = {"zh-CN": "该预警已解除。", "en": "This warning has been lifted."}
DRAWN_AREA = {"zh-CN": "划定区域", "en": "Drawn area"}


def identifier_for(warning, number: int) -> str:
    """The CAP identifier of a warning's version: unique for the sender, no spaces or commas."""
    return f"CW-{warning.pk:06d}-{number}"


def _areas(warning, areas, language: str) -> tuple[cap.Area, ...]:
    out = []
    for area in areas:
        geometry = area.boundary.ogr.wkb if area.boundary is not None else None
        shape = None
        if geometry is not None:
            import shapely

            shape = shapely.from_wkb(bytes(geometry))
        desc = area.name if language.startswith("zh") else f"{area.name} ({area.code})"
        out.append(cap.area_from_geometry(desc, shape, geocodes=(cap.division_geocode(area.code),)))
    if warning.polygons is not None:
        import shapely

        out.append(
            cap.area_from_geometry(DRAWN_AREA[language], shapely.from_wkb(bytes(warning.polygons.wkb)))
        )
    if not out:
        # CAP needs an area; a warning without named areas or polygons is the whole of its jurisdiction.
        out.append(cap.Area(area_desc=warning.area.name, geocodes=(cap.division_geocode(warning.area.code),)))
    return tuple(out)


def alert_for(
    warning, *, number: int, msg_type: str, sent: datetime.datetime, previous_versions=()
) -> cap.Alert:
    """The CAP alert of ``warning`` as it stands, published as version ``number``."""
    areas = list(warning.areas.order_by("code"))
    hazard = warning.hazard
    observed = warning.proposal_id is not None
    cancel = msg_type == MsgType.CANCEL
    infos = []
    for language in ("zh-CN", "en"):
        zh = language == "zh-CN"
        event = f"{hazard.name}{COLOUR_NAMES[warning.level]}预警" if zh else f"{hazard.name_en} warning"
        headline = (warning.headline if zh else warning.headline_en) or warning.headline
        description = (warning.description if zh else warning.description_en) or ""
        instruction = (warning.instructions if zh else warning.instructions_en) or ""
        if cancel:
            headline = CANCEL_HEADLINE[language].format(headline)
            description = CANCEL_DESCRIPTION[language]
            instruction = ""
        infos.append(
            cap.signal_info(
                language=language,
                level=warning.level,
                observed=observed,
                event=event,
                category=cap.Category(hazard.category),
                areas=_areas(warning, areas, language),
                headline=headline[:160] or None,
                description=description or None,
                instruction=instruction or None,
                sender_name=warning.issuer or settings.CITYWATCH_CAP_SENDER_NAME,
                effective=sent,
                onset=in_city_time(warning.onset),
                expires=sent if cancel else in_city_time(warning.expires),
                response_types=(cap.ResponseType.ALL_CLEAR,) if cancel else (cap.ResponseType.PREPARE,),
                event_codes=(cap.ValuePair("hazard", hazard.code),),
            )
        )
    references = tuple(cap.Reference(v.sender, v.identifier, in_city_time(v.sent)) for v in previous_versions)
    return cap.Alert(
        identifier=identifier_for(warning, number),
        sender=settings.CITYWATCH_CAP_SENDER,
        sent=sent,
        status=cap.Status.EXERCISE if warning.exercise else cap.Status.ACTUAL,
        msg_type=cap.MsgType(msg_type),
        scope=cap.Scope.PUBLIC,
        source="CityWatch" if warning.source == Source.CITYWATCH else None,
        references=references,
        infos=tuple(infos),
    )


def now_for_cap() -> datetime.datetime:
    """CAP times have whole seconds; the city's offset is written (+08:00)."""
    return in_city_time(timezone.now())


def in_city_time(value: datetime.datetime | None) -> datetime.datetime | None:
    """A stored time (the database gives UTC) in the city's zone, whole seconds: every time of an alert
    is written with the same offset as its ``sent`` (+08:00), and a reference repeats the ``sent`` of the
    alert it names as that alert wrote it."""
    return None if value is None else timezone.localtime(value).replace(microsecond=0)
