"""Drafting and editing a warning: the fields a person writes, checked once for every caller (pages, API,
proposals, CAP imports). Nothing here publishes; ``lifecycle`` does."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.geos import MultiPolygon
from django.db import transaction
from django.utils.translation import gettext as _

from citywatch.core import inputs
from citywatch.core.choices import AreaLevel
from citywatch.core.errors import Conflict, Forbidden, Invalid
from citywatch.core.models import AdminArea
from citywatch.core.models.base import scope_of
from citywatch.warnings.choices import COLOUR_NAMES, ROMAN, Level, Source, WarningStatus
from citywatch.warnings.hazards import ensure_seeded
from citywatch.warnings.models import Guidance, HazardType, Warning

MAX_AREAS = 200
MAX_TEXT = 4000


@dataclass
class WarningInput:
    """What a person (or an import) says a warning is. ``area_codes``: admin-area codes; ``polygons``: a
    GeoJSON (Multi)Polygon or a GEOS MultiPolygon; blank texts take defaults (headline from hazard, level
    and areas; instructions from the hazard's guidance)."""

    hazard: str
    level: str
    area_codes: list[str] = field(default_factory=list)
    polygons: object = None
    onset: datetime.datetime | None = None
    expires: datetime.datetime | None = None
    headline: str = ""
    description: str = ""
    instructions: str = ""
    headline_en: str = ""
    description_en: str = ""
    instructions_en: str = ""
    exercise: bool = False


@dataclass
class Cleaned:
    hazard: HazardType
    level: str
    areas: list[AdminArea]
    polygons: MultiPolygon | None
    onset: datetime.datetime | None
    expires: datetime.datetime | None
    texts: dict[str, str]
    exercise: bool


def city_area() -> AdminArea | None:
    return AdminArea.objects.filter(level__in=(AreaLevel.CITY, AreaLevel.PROVINCE)).order_by("path").first()


def hazard_named(code: str) -> HazardType:
    ensure_seeded()
    hazard = HazardType.objects.filter(code=str(code or "").strip()).first()
    if hazard is None:
        codes = ", ".join(HazardType.objects.values_list("code", flat=True))
        raise Invalid(
            _("unknown hazard type %(code)s; use one of %(codes)s") % {"code": code, "codes": codes}
        )
    return hazard


def level_named(level: str) -> str:
    level = str(level or "").strip().lower()
    if level not in Level.values:
        raise Invalid(_("level must be one of %(levels)s") % {"levels": ", ".join(Level.values)})
    return level


def areas_named(codes, user=None) -> list[AdminArea]:
    codes = [str(c).strip() for c in (codes or []) if str(c).strip()]
    if len(codes) > MAX_AREAS:
        raise Invalid(_("at most %(max)s areas") % {"max": MAX_AREAS})
    found = {a.code: a for a in AdminArea.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise Invalid(_("unknown area code(s): %(codes)s") % {"codes": ", ".join(unknown[:10])})
    areas = [found[c] for c in dict.fromkeys(codes)]
    if user is not None:
        scope = scope_of(user)
        outside = [a for a in areas if not scope.covers(a.path)]
        if outside:
            raise Forbidden(
                _("%(areas)s lies outside your jurisdiction") % {"areas": "、".join(a.name for a in outside)}
            )
    return areas


def common_area(areas: list[AdminArea], user=None) -> AdminArea:
    """The smallest area holding every one of ``areas`` (the warning's jurisdiction); with none named,
    the user's jurisdiction, else the city."""
    if not areas:
        own = getattr(user, "jurisdiction", None) if user is not None else None
        area = own or city_area()
        if area is None:
            raise Invalid(_("no area: import the areas first"))
        return area
    parts = [a.path.rstrip(".").split(".") for a in areas]
    prefix = []
    for chain in zip(*parts, strict=False):
        if len(set(chain)) != 1:
            break
        prefix.append(chain[0])
    if not prefix:
        return city_area() or areas[0]
    path = ".".join(prefix) + "."
    return AdminArea.objects.filter(path=path).first() or areas[0]


def footprint(areas: list[AdminArea], polygons: MultiPolygon | None) -> MultiPolygon | None:
    """The warning's area as drawn: the union of the named areas' boundaries and the polygons."""
    parts = [a.boundary for a in areas if a.boundary is not None]
    if polygons is not None:
        parts.append(polygons)
    if not parts:
        return None
    union = parts[0]
    for part in parts[1:]:
        union = union.union(part)
    if union.geom_type == "Polygon":
        union = MultiPolygon(union, srid=4326)
    if union.geom_type != "MultiPolygon":
        polys = [g for g in union if g.geom_type == "Polygon"] if hasattr(union, "__iter__") else []
        union = MultiPolygon(*polys, srid=4326) if polys else None
    if union is not None:
        union.srid = 4326
    return union


def default_guidance(hazard: HazardType, level: str) -> tuple[str, str]:
    row = Guidance.objects.filter(hazard=hazard, level=level).first()
    return (row.instructions, row.instructions_en) if row else ("", "")


ENGLISH_SUFFIXES = (
    ("街道", "Subdistrict"),
    ("社区居委会", "Community"),
    ("村委会", "Village"),
    ("社区", "Community"),
    ("区", "District"),
    ("市", "City"),
    ("镇", "Town"),
    ("乡", "Township"),
    ("村", "Village"),
)


def english_name(area: AdminArea) -> str:
    """An area's name in the English texts of a warning: its pinyin with the level in English
    ("Tong'an District"), as Chinese place names are written in English (the area tree has no English
    names)."""
    from pypinyin import Style, lazy_pinyin

    stem, suffix = area.name, ""
    for chinese, english in ENGLISH_SUFFIXES:
        if area.name.endswith(chinese) and len(area.name) > len(chinese):
            stem, suffix = area.name[: -len(chinese)], f" {english}"
            break
    syllables = [s.lower() for s in lazy_pinyin(stem, style=Style.NORMAL, errors="ignore") if s]
    if not syllables:
        return area.code
    word = syllables[0] + "".join(("'" if s[0] in "aoe" else "") + s for s in syllables[1:])
    return word[:1].upper() + word[1:] + suffix


def default_headline(hazard: HazardType, level: str, areas: list[AdminArea], *, english: bool = False) -> str:
    """ "同安区暴雨橙色预警" / "Rainstorm warning orange (Ⅱ) for Tong'an District": texts of the warning
    itself (both languages are published in CAP), not of the interface."""
    if english:
        where = ", ".join(english_name(a) for a in areas[:5]) + (" …" if len(areas) > 5 else "")
        return f"{hazard.name_en} warning {level} ({ROMAN[level]})" + (f" for {where}" if where else "")
    where = "、".join(a.name for a in areas[:5]) + ("等" if len(areas) > 5 else "")
    return f"{where}{hazard.name}{COLOUR_NAMES[level]}预警"


def clean(data: WarningInput, user=None) -> Cleaned:
    """Check a warning's fields (``Invalid`` 422 with a clear message; ``Forbidden`` 403 for an area outside
    the user's jurisdiction). Defaults fill blank texts."""
    hazard = hazard_named(data.hazard)
    level = level_named(data.level)
    areas = areas_named(data.area_codes, user)
    polygons = (
        inputs.multipolygon(data.polygons, _("polygons"))
        if not isinstance(data.polygons, MultiPolygon)
        else data.polygons
    )
    if not areas and polygons is None:
        raise Invalid(_("name at least one area or draw a polygon"))
    if polygons is not None and user is not None:
        scope = scope_of(user)
        if not scope.everything:
            own = user.jurisdiction.boundary
            if own is None or not own.buffer(0.001).covers(polygons):
                raise Forbidden(_("the polygon lies outside your jurisdiction"))
    onset = inputs.aware(data.onset, _("onset"))
    expires = inputs.aware(data.expires, _("expires"))
    if onset and expires and expires <= onset:
        raise Invalid(_("the expiry must come after the onset"))
    texts = {
        "headline": inputs.text(data.headline, _("headline"), maximum=200),
        "description": inputs.text(data.description, _("description"), maximum=MAX_TEXT),
        "instructions": inputs.text(data.instructions, _("instructions"), maximum=MAX_TEXT),
        "headline_en": inputs.text(data.headline_en, _("English headline"), maximum=200),
        "description_en": inputs.text(data.description_en, _("English description"), maximum=MAX_TEXT),
        "instructions_en": inputs.text(data.instructions_en, _("English instructions"), maximum=MAX_TEXT),
    }
    if not texts["headline"]:
        texts["headline"] = default_headline(hazard, level, areas)[:200]
    if not texts["headline_en"]:
        texts["headline_en"] = default_headline(hazard, level, areas, english=True)[:200]
    if not texts["instructions"] or not texts["instructions_en"]:
        zh, en = default_guidance(hazard, level)
        texts["instructions"] = texts["instructions"] or zh
        texts["instructions_en"] = texts["instructions_en"] or en
    return Cleaned(hazard, level, areas, polygons, onset, expires, texts, bool(data.exercise))


def apply(warning: Warning, cleaned: Cleaned, user=None) -> None:
    """Write cleaned fields onto ``warning`` (saved by the caller); the areas are set after saving."""
    warning.hazard = cleaned.hazard
    warning.level = cleaned.level
    warning.area = common_area(cleaned.areas, user)
    warning.polygons = cleaned.polygons
    warning.geometry = footprint(cleaned.areas, cleaned.polygons)
    warning.onset = cleaned.onset
    warning.expires = cleaned.expires
    warning.exercise = cleaned.exercise
    for name, value in cleaned.texts.items():
        setattr(warning, name, value)


@transaction.atomic
def draft_warning(user, data: WarningInput, *, proposal=None) -> Warning:
    """A new draft (not yet published)."""
    cleaned = clean(data, user)
    warning = Warning(
        status=WarningStatus.DRAFT,
        source=Source.CITYWATCH,
        issuer=settings.CITYWATCH_CAP_SENDER_NAME,
        drafted_by=user if getattr(user, "pk", None) else None,
        proposal=proposal,
    )
    apply(warning, cleaned, user)
    warning.save()
    warning.areas.set(cleaned.areas)
    return warning


def lock_warning(warning: Warning, version: int | None = None) -> Warning:
    """The warning's row, locked; ``Conflict`` when the client's ``version`` is stale."""
    locked = Warning.objects.select_for_update().select_related("hazard", "area").get(pk=warning.pk)
    if version is not None and int(version) != locked.version:
        raise Conflict(
            _("the warning was changed meanwhile (version %(current)s, yours %(yours)s); reload it")
            % {"current": locked.version, "yours": version}
        )
    return locked


@transaction.atomic
def edit_draft(user, warning: Warning, data: WarningInput, *, version: int | None = None) -> Warning:
    """Change a draft (or a warning awaiting approval, which goes back to draft)."""
    warning = lock_warning(warning, version)
    if warning.status not in (WarningStatus.DRAFT, WarningStatus.SUBMITTED):
        raise Conflict(
            _("only a draft can be edited; an issued warning is changed by an update (a new version)")
        )
    cleaned = clean(data, user)
    apply(warning, cleaned, user)
    warning.status = WarningStatus.DRAFT
    warning.submitted_at = None
    warning.version += 1
    warning.save()
    warning.areas.set(cleaned.areas)
    return warning
