"""Place search: find a place by what a caller says — a district, street or community name (集美区,
侨英街道), its pinyin (jimei, qiaoying) or initials (jmq), or the name of a place in the registry (a
shelter, a hospital, a depot, a facility) — and answer where it is.

Behind ``GET /api/v1/places`` (the report form's map and the one-map). Areas come from the user's
jurisdiction (``AdminArea.objects.within``); registry places from what the user may see
(``records_for``). Names are matched as typed (a substring of the name), a Latin query by the pinyin of
the name (full syllables or initials, pypinyin, cached per name). Exact names first, then names that
start with the query, then the rest; areas before registry places, higher levels first.

Public API::

    search(user, q, limit) -> list[Place]
    PlaceParams, PlaceOut          the route's input and output schemas
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ninja import Schema
from pydantic import Field
from pypinyin import Style, lazy_pinyin

from citywatch.core.choices import AREA_LEVEL_RANK, AreaLevel
from citywatch.core.models import AdminArea
from citywatch.core.models.base import PATH_SEP
from citywatch.resources.kinds import KINDS
from citywatch.resources.queries import records_for

# The registry kinds whose records are places one can name (not people, not teams that move).
PLACE_KINDS = ("shelters", "medical-facilities", "depots", "facilities")
LATIN = re.compile(r"[a-z0-9' ]+")
# Suffixes a caller leaves out ("集美" for 集美区, "侨英" for 侨英街道).
SUFFIXES = ("居委会", "村委会", "街道", "社区", "区", "镇", "乡", "村")


class PlaceParams(Schema):
    q: str = Field(min_length=1, max_length=50, description="a name, part of one, its pinyin or initials")
    limit: int = Field(10, ge=1, le=50)


class PlaceOut(Schema):
    kind: str = Field(description="area, or the registry kind (shelters, medical-facilities, …)")
    kind_label: str
    code: str | None = Field(None, description="an area's code")
    id: int | None = Field(None, description="a registry record's id")
    name: str
    context: str = Field(description="the district and street it lies in")
    level: str | None = Field(None, description="an area's level")
    lon: float
    lat: float
    bbox: list[float] | None = Field(None, description="an area's boundary box [w, s, e, n]")


@dataclass(frozen=True)
class Place:
    kind: str
    kind_label: str
    name: str
    context: str
    lon: float
    lat: float
    code: str | None = None
    id: int | None = None
    level: str | None = None
    bbox: list[float] | None = None


@lru_cache(maxsize=20000)
def pinyin_of(name: str) -> tuple[str, str]:
    """The name's pinyin without tones or spaces ("jimeiqu") and its initials ("jmq")."""
    syllables = [s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="ignore")]
    return "".join(syllables), "".join(s[0] for s in syllables if s)


def _score(name: str, q: str, latin: bool) -> int | None:
    """How well ``name`` matches the query: 0 exact, 1 prefix, 2 substring; None: no match."""
    if latin:
        full, initials = pinyin_of(name)
        key = q.replace(" ", "").replace("'", "")
        if key in (full, initials):
            return 0
        if full.startswith(key) or initials.startswith(key):
            return 1
        return 2 if key in full else None
    if name == q or any(name == q + suffix for suffix in SUFFIXES):
        return 0
    if name.startswith(q):
        return 1
    return 2 if q in name else None


def _names(paths: set[str]) -> dict[str, tuple[str, str]]:
    codes = {c for p in paths for c in p.split(PATH_SEP) if c}
    return {
        code: (level, name)
        for code, level, name in AdminArea.objects.filter(code__in=codes).values_list("code", "level", "name")
    }


def _context(path: str, names: dict, own: str | None = None) -> str:
    """The district and street of a path (the city and the place itself left out)."""
    parts = []
    for code in path.split(PATH_SEP):
        if not code or code == own or code not in names:
            continue
        level, name = names[code]
        if level in (AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY):
            parts.append(name)
    return " · ".join(parts)


def search(user, q: str, limit: int = 10) -> list[Place]:
    """The places whose names match ``q``, best first (at most ``limit``)."""
    q = " ".join(q.split())
    if not q:
        return []
    latin = bool(LATIN.fullmatch(q.lower()))
    needle = q.lower() if latin else q
    scored: list[tuple[tuple, Place, str]] = []
    areas = AdminArea.objects.within(user).exclude(level__in=(AreaLevel.PROVINCE,))
    rows = areas.values_list("code", "name", "level", "path", "point", "boundary")
    if not latin:
        stem = q
        for suffix in SUFFIXES:
            if q.endswith(suffix) and len(q) > len(suffix):
                stem = q[: -len(suffix)]
                break
        rows = rows.filter(name__contains=stem)
    for code, name, level, path, point, boundary in rows.iterator():
        score = _score(name, needle, latin)
        if score is None:
            continue
        where = point or (boundary.point_on_surface if boundary is not None else None)
        if where is None:
            continue
        place = Place(
            kind="area",
            kind_label=str(AreaLevel(level).label),
            name=name,
            context="",
            lon=where.x,
            lat=where.y,
            code=code,
            level=level,
            bbox=list(boundary.extent) if boundary is not None else None,
        )
        scored.append(((score, 0, AREA_LEVEL_RANK.get(level, 9), len(name), code), place, path))
    for rank, slug in enumerate(PLACE_KINDS, start=1):
        kind = KINDS[slug]
        qs = records_for(kind, user).filter(location__isnull=False)
        if not latin:
            qs = qs.filter(name__contains=q)
        for pk, name, location, path in qs.values_list("pk", "name", "location", "area__path")[:2000]:
            score = _score(name, needle, latin)
            if score is None:
                continue
            place = Place(
                kind=slug,
                kind_label=str(kind.label),
                name=name,
                context="",
                lon=location.x,
                lat=location.y,
                id=pk,
            )
            scored.append(((score, rank, 0, len(name), str(pk)), place, path or ""))
    scored.sort(key=lambda row: row[0])
    best = scored[:limit]
    names = _names({path for _, _, path in best})
    return [
        Place(**{**vars(place), "context": _context(path, names, own=place.code)}) for _, place, path in best
    ]
