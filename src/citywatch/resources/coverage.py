"""Grassroots coverage (基层全覆盖, DOMAIN.md row J): does every community and street have what the
published standard asks for?

* every community (社区/村): at least one shelter point (避灾点) and one disaster information officer
  (灾害信息员), and the "一点两站": a shelter demonstration point (示范点), a supply reserve station
  (物资储备站) and a micro fire station (微型消防站);
* every street (街道/镇): at least one rescue team.

A resource counts for the area it is registered at (``Resource.area``). A rescue team counts for its
street when its area is the street or any community beneath it (materialised-path prefix). Registration
is what is checked: a team that is deployed, or a shelter that is closed, still counts.

Public API (the page, the map layer and ``GET /api/v1/coverage`` are built on it):

``coverage_for(user, level=None, area_code=None, only_gaps=False) -> dict``
    ``{"scope", "requirements", "summary", "rows"}`` for the user's jurisdiction (raises
    ``Forbidden`` when the user may not view a resource kind the report counts, ``NotFound`` for an
    area code that is unknown or outside the jurisdiction, ``CoverageError`` for a bad level).
``coverage_csv(rows) -> str``
    The rows as CSV text (a BOM first, so Excel reads the Chinese names; CRLF line ends).
``coverage_features(rows) -> dict``
    A GeoJSON FeatureCollection of the areas' points with flat properties (``met``, ``gaps``,
    ``<requirement>_count``, ``<requirement>_met``), so that a map can draw the gaps red.

The whole report is a handful of aggregate queries (one per resource model, plus the areas), never a
query per area.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from citywatch.core import access
from citywatch.core.choices import AreaLevel
from citywatch.core.errors import Forbidden, Invalid
from citywatch.core.models import AdminArea
from citywatch.resources.choices import DepotKind, DutyKind, FacilityKind, ShelterKind
from citywatch.resources.exchange import neutralise
from citywatch.resources.models import Depot, DutyPerson, Facility, RescueTeam, Shelter


class CoverageError(Invalid):
    """A coverage question that cannot be answered as asked (an unknown level)."""


@dataclass(frozen=True)
class Requirement:
    key: str
    level: str  # the level of area it applies to
    label: object


REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement("shelter_point", AreaLevel.COMMUNITY, _("Shelter point (避灾点)")),
    Requirement("info_officer", AreaLevel.COMMUNITY, _("Disaster information officer (灾害信息员)")),
    Requirement("rescue_team", AreaLevel.STREET, _("Rescue team (救援队伍)")),
    Requirement("demo_shelter", AreaLevel.COMMUNITY, _("Shelter demonstration point (避灾示范点)")),
    Requirement("supply_station", AreaLevel.COMMUNITY, _("Supply reserve station (物资储备站)")),
    Requirement("micro_fire_station", AreaLevel.COMMUNITY, _("Micro fire station (微型消防站)")),
)
REQUIREMENT_KEYS = tuple(r.key for r in REQUIREMENTS)
LEVELS = (AreaLevel.STREET, AreaLevel.COMMUNITY)
# Which shelters are a community's "shelter point": natural-disaster shelter points and comprehensive
# shelters (an earthquake shelter is a large city-level site, not the community's point).
SHELTER_POINT_KINDS = (ShelterKind.DISASTER_POINT, ShelterKind.COMPREHENSIVE)
# The models the report counts; the user must be allowed to view each of them.
COUNTED_MODELS = (Shelter, DutyPerson, RescueTeam, Depot, Facility)


def requirements_for(level: str) -> list[Requirement]:
    return [r for r in REQUIREMENTS if r.level == level]


def _check_permissions(user) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden(gettext("log in to see the coverage report"))
    missing = [str(m._meta.verbose_name_plural) for m in COUNTED_MODELS if not access.can(user, m, "view")]
    if missing:
        raise Forbidden(
            gettext("the coverage report needs permission to view %(models)s")
            % {"models": ", ".join(missing)}
        )


def _counts_by_area(qs, scope_path: str, **annotations) -> dict[int, dict[str, int]]:
    """{area id: {name: count}} for community-level resources beneath ``scope_path``."""
    rows = (
        qs.filter(area__path__startswith=scope_path, area__level=AreaLevel.COMMUNITY)
        .order_by()
        .values("area_id")
        .annotate(**annotations)
    )
    return {row.pop("area_id"): row for row in rows}


def _teams_by_street(user, scope_path: str, street_codes: set[str]) -> dict[str, int]:
    """Rescue teams per street: those at the street or at any area beneath it."""
    counts = dict.fromkeys(street_codes, 0)
    rows = (
        RescueTeam.objects.restrict(user)
        .filter(area__path__startswith=scope_path)
        .order_by()
        .values("area__path")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        for code in row["area__path"].split("."):
            if code in counts:
                counts[code] += row["n"]
    return counts


def _scope(user, area_code: str | None):
    """The area the report is about (None: the whole jurisdiction) and its path prefix."""
    if area_code is None or str(area_code).strip() == "":
        return None, ""
    area = access.get_for(user, AdminArea.objects.defer("boundary"), code=str(area_code).strip())
    return area, area.path


def coverage_for(
    user, level: str | None = None, area_code: str | None = None, only_gaps: bool = False
) -> dict:
    """The coverage report for ``user``'s jurisdiction.

    ``level``: ``"street"``, ``"community"`` or None (both). ``area_code``: only this area and the areas
    beneath it. ``only_gaps``: rows that miss at least one requirement (the summary still counts all).

    Returns ``{"scope": {...}, "requirements": [{key, level, label}], "summary": {...}, "rows": [...]}``;
    each row is ``{code, name, level, parent_code, parent_name, district_code, district_name, lon, lat,
    requirements: {key: {"met": bool, "count": int}}, gaps: [key, …], met: bool}``; a row's
    requirements are those of its level (communities: shelter_point, info_officer, demo_shelter,
    supply_station, micro_fire_station; streets: rescue_team). Rows are in code order, so each street
    comes just before its communities.
    """
    if level in ("", None):
        levels = LEVELS
    elif level in LEVELS:
        levels = (level,)
    else:
        raise CoverageError(
            gettext("unknown level %(level)s; use street or community") % {"level": repr(level)}
        )
    _check_permissions(user)
    scope, scope_path = _scope(user, area_code)

    areas = list(
        AdminArea.objects.restrict(user)
        .filter(level__in=levels, path__startswith=scope_path)
        .order_by("code")
        .values("id", "code", "name", "level", "path", "point", "parent__code", "parent__name")
    )
    district_codes = {_district_code(a["path"]) for a in areas}
    districts = dict(AdminArea.objects.filter(code__in=district_codes).values_list("code", "name"))

    community_ids = [a["id"] for a in areas if a["level"] == AreaLevel.COMMUNITY]
    street_codes = {a["code"] for a in areas if a["level"] == AreaLevel.STREET}
    shelters = officers = depots = facilities = {}
    if community_ids:
        shelters = _counts_by_area(
            Shelter.objects.restrict(user),
            scope_path,
            shelter_point=Count("pk", filter=Q(kind__in=SHELTER_POINT_KINDS)),
            demo_shelter=Count("pk", filter=Q(demonstration=True)),
        )
        officers = _counts_by_area(
            DutyPerson.objects.restrict(user).filter(kind=DutyKind.INFO_OFFICER),
            scope_path,
            info_officer=Count("pk"),
        )
        depots = _counts_by_area(
            Depot.objects.restrict(user).filter(kind=DepotKind.COMMUNITY_STATION),
            scope_path,
            supply_station=Count("pk"),
        )
        facilities = _counts_by_area(
            Facility.objects.restrict(user).filter(kind=FacilityKind.MICRO_FIRE_STATION),
            scope_path,
            micro_fire_station=Count("pk"),
        )
    teams = _teams_by_street(user, scope_path, street_codes) if street_codes else {}

    rows = []
    for area in areas:
        if area["level"] == AreaLevel.COMMUNITY:
            found = {
                **shelters.get(area["id"], {}),
                **officers.get(area["id"], {}),
                **depots.get(area["id"], {}),
                **facilities.get(area["id"], {}),
            }
        else:
            found = {"rescue_team": teams.get(area["code"], 0)}
        requirements = {}
        for requirement in requirements_for(area["level"]):
            count = int(found.get(requirement.key, 0))
            requirements[requirement.key] = {"met": count >= 1, "count": count}
        gaps = [key for key, value in requirements.items() if not value["met"]]
        point = area["point"]
        district = _district_code(area["path"])
        rows.append(
            {
                "code": area["code"],
                "name": area["name"],
                "level": str(area["level"]),
                "parent_code": area["parent__code"],
                "parent_name": area["parent__name"],
                "district_code": district,
                "district_name": districts.get(district),
                "lon": round(point.x, 7) if point is not None else None,
                "lat": round(point.y, 7) if point is not None else None,
                "requirements": requirements,
                "gaps": gaps,
                "met": not gaps,
            }
        )

    return {
        "scope": {
            "area_code": scope.code if scope else None,
            "area_name": scope.name if scope else None,
            "level": level or None,
            "only_gaps": bool(only_gaps),
        },
        "requirements": [
            {"key": r.key, "level": str(r.level), "label": str(r.label)}
            for r in REQUIREMENTS
            if r.level in levels
        ],
        "summary": _summary(rows, levels),
        "rows": [r for r in rows if not r["met"]] if only_gaps else rows,
    }


def _district_code(path: str) -> str | None:
    codes = [c for c in path.split(".") if c]
    return codes[1] if len(codes) > 1 else None


def _summary(rows: list[dict], levels) -> dict:
    by_level = {}
    for level in levels:
        mine = [r for r in rows if r["level"] == level]
        met = sum(1 for r in mine if r["met"])
        by_level[str(level)] = {"areas": len(mine), "met": met, "with_gaps": len(mine) - met}
    by_requirement = {}
    for requirement in REQUIREMENTS:
        if requirement.level not in levels:
            continue
        applicable = [r for r in rows if requirement.key in r["requirements"]]
        met = sum(1 for r in applicable if r["requirements"][requirement.key]["met"])
        by_requirement[requirement.key] = {
            "areas": len(applicable),
            "met": met,
            "unmet": len(applicable) - met,
        }
    met = sum(1 for r in rows if r["met"])
    return {
        "areas": len(rows),
        "met": met,
        "with_gaps": len(rows) - met,
        "by_level": by_level,
        "by_requirement": by_requirement,
    }


# --- Output -----------------------------------------------------------------------------------------

CSV_COLUMNS = [
    "code",
    "name",
    "level",
    "district_code",
    "district_name",
    "parent_code",
    "parent_name",
    "lon",
    "lat",
    "met",
    "gaps",
]


def _yes_no(value) -> str:
    return "" if value is None else ("yes" if value else "no")


def coverage_csv(rows: list[dict]) -> str:
    """One line per area: where it is, ``met``, ``gaps`` (``;``-separated requirement keys), then for
    every requirement ``<key>_count`` and ``<key>_met`` (yes / no; blank where it does not apply to the
    area's level). Starts with a BOM, CRLF line ends (as Excel writes)."""
    out = io.StringIO()
    writer = csv.writer(out)
    header = CSV_COLUMNS + [f"{key}_{part}" for key in REQUIREMENT_KEYS for part in ("count", "met")]
    writer.writerow(header)
    for row in rows:
        line = [
            row["code"],
            neutralise(row["name"]),
            row["level"],
            row.get("district_code") or "",
            neutralise(row.get("district_name") or ""),
            row.get("parent_code") or "",
            neutralise(row.get("parent_name") or ""),
            "" if row.get("lon") is None else row["lon"],
            "" if row.get("lat") is None else row["lat"],
            _yes_no(row["met"]),
            ";".join(row["gaps"]),
        ]
        for key in REQUIREMENT_KEYS:
            value = row["requirements"].get(key)
            line += ["", ""] if value is None else [value["count"], _yes_no(value["met"])]
        writer.writerow(line)
    return "\ufeff" + out.getvalue()


def coverage_features(rows: list[dict]) -> dict:
    """The areas as GeoJSON points (geometry null where an area has no point). Properties are flat so a
    map can style on them: code, name, level, parent_code, district_code, met, gap_count, gaps
    (``;``-separated), and ``<key>_count`` / ``<key>_met`` for each requirement of the area's level."""
    features = []
    for row in rows:
        props = {
            "code": row["code"],
            "name": row["name"],
            "level": row["level"],
            "parent_code": row["parent_code"],
            "parent_name": row.get("parent_name"),
            "district_code": row.get("district_code"),
            "district_name": row.get("district_name"),
            "met": row["met"],
            "gap_count": len(row["gaps"]),
            "gaps": ";".join(row["gaps"]),
        }
        for key, value in row["requirements"].items():
            props[f"{key}_count"] = value["count"]
            props[f"{key}_met"] = value["met"]
        geometry = None
        if row.get("lon") is not None and row.get("lat") is not None:
            geometry = {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
        features.append({"type": "Feature", "id": row["code"], "geometry": geometry, "properties": props})
    return {
        "type": "FeatureCollection",
        "numberMatched": len(features),
        "numberReturned": len(features),
        "features": features,
    }
