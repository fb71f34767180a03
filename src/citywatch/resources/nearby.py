"""What is near a point, by travel time: the registry's resources ranked by the road engine.

The nearby analysis behind ``GET /api/v1/nearby`` and ``GET /api/v1/incidents/{pk}/nearby`` (and the
one-map). Each kind of the kinds table that has a ``travel`` direction takes part: rescue teams, depots
and experts travel **to** the point (ranked by their time to it, on the reversed road graph); people are
taken **from** the point to shelters, medical facilities and facilities (the forward graph). Only the
records the user may see count (``records_for``: their role and jurisdiction).

The engine is asked once per direction, with every candidate of that direction labelled by its kind
(``nearest_by_time(groups=…)``): one road search from the point per direction instead of one per kind,
with the same ranking per kind (the ``limit`` fastest of each).

Public API::

    NEARBY_KINDS                      the kinds that take part (kinds.py: those with a travel direction)
    NearbyParams                      kinds, minutes, radius_m, limit: the one parameter schema of both
                                      routes (``.kind_list`` → [Kind])
    PointParams                       lon, lat, crs: the point of ``GET /nearby``
    nearby(user, lon, lat, params, *, input_crs="wgs84") -> Nearby
    Nearby(origin, network, items, off_network_resources, population), NearbyItem, Origin, Population
    NearbyOut                         the output schema of both routes (reads a ``Nearby``)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field, field_validator

from citywatch.geo import population, routing
from citywatch.geo.api import NetworkOut
from citywatch.geo.routing import Network
from citywatch.resources.kinds import FROM, KINDS, NEARBY_KINDS, TO, Kind
from citywatch.resources.queries import records_for

DIRECTIONS = (TO, FROM)


class NearbyParams(Schema):
    """What to rank: which kinds, within how many minutes, how many of each; the population radius."""

    kinds: str = Field(",".join(NEARBY_KINDS), max_length=200, description=", ".join(NEARBY_KINDS))
    minutes: float = Field(30, gt=0, le=240, description="only resources within this travel time")
    radius_m: float = Field(5000, ge=100, le=50000, description="radius for the population figure")
    limit: int = Field(20, ge=1, le=200, description="at most this many per kind")

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, value):
        kinds = [k.strip() for k in value.split(",") if k.strip()]
        unknown = [k for k in kinds if k not in NEARBY_KINDS]
        if unknown or not kinds:
            raise ValueError(
                _("unknown kinds %(kinds)s; use %(known)s")
                % {"kinds": ", ".join(unknown) or _("(none)"), "known": ", ".join(NEARBY_KINDS)}
            )
        return ",".join(dict.fromkeys(kinds))

    @property
    def kind_list(self) -> list[Kind]:
        return [KINDS[slug] for slug in self.kinds.split(",")]


class PointParams(Schema):
    """A point given as longitude/latitude in WGS-84, GCJ-02 or BD-09."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


@dataclass(frozen=True)
class NearbyItem:
    kind: Kind
    id: int
    name: str
    lon: float
    lat: float
    distance_m: float
    eta_s: float
    eta_method: str
    state: str | None  # the value of the kind's state field (status, availability), if it has one
    details: dict = field(default_factory=dict)  # what officers decide with (``_details``)


@dataclass(frozen=True)
class Origin:
    lon: float
    lat: float
    snapped_node: int | None
    snap_distance_m: float | None
    on_network: bool
    input_crs: str


@dataclass(frozen=True)
class Population:
    radius_m: float
    persons: int | None


@dataclass(frozen=True)
class Nearby:
    origin: Origin
    network: Network
    items: list[NearbyItem]
    off_network_resources: int
    population: Population


def _candidates(kinds: list[Kind], user) -> tuple[list[tuple], list[int]]:
    """The located records of ``kinds`` the user may see: rows (kind, pk, name, location, state) and the
    position of each row's kind (the engine's group label)."""
    rows: list[tuple] = []
    labels: list[int] = []
    for label, kind in enumerate(kinds):
        fields = ("pk", "name", "location", *((kind.state_field,) if kind.state_field else ()))
        found = records_for(kind, user).filter(location__isnull=False).values_list(*fields)
        for row in found:
            rows.append((kind, row[0], row[1], row[2], row[3] if kind.state_field else None))
            labels.append(label)
    return rows, labels


def nearby(user, lon: float, lat: float, params: NearbyParams, *, input_crs: str = "wgs84") -> Nearby:
    """The registry's resources nearest the WGS-84 point by travel time, as ``user`` may see them: the
    ``params.limit`` fastest of each kind within ``params.minutes``, fastest first (then by kind and id),
    with the population within ``params.radius_m``."""
    engine = routing.get_engine()
    snap = engine.snap_point((lon, lat))
    items: list[NearbyItem] = []
    off_network = 0
    for direction in DIRECTIONS:
        kinds = [kind for kind in params.kind_list if kind.travel == direction]
        rows, labels = _candidates(kinds, user)
        if not rows:
            continue
        lonlat = np.array([(row[3].x, row[3].y) for row in rows], dtype=float)
        answer = engine.nearest_by_time(
            (lon, lat), lonlat, direction, params.minutes * 60, params.limit, groups=np.array(labels)
        )
        off_network += len(answer.off_network)
        for hit in answer.results:
            kind, pk, name, location, state = rows[hit.index]
            items.append(
                NearbyItem(
                    kind=kind,
                    id=pk,
                    name=name,
                    lon=location.x,
                    lat=location.y,
                    distance_m=round(hit.distance_m, 1),
                    eta_s=round(hit.eta_s, 1),
                    eta_method=hit.eta_method,
                    state=state,
                )
            )
    items.sort(key=lambda i: (i.eta_s, i.kind.slug, i.id))
    items = _with_details(items, user)
    persons = population.population_within_radius((lon, lat), params.radius_m)
    return Nearby(
        origin=Origin(
            lon=lon,
            lat=lat,
            snapped_node=snap.node,
            snap_distance_m=routing.rounded(snap.distance_m),
            on_network=snap.on_network,
            input_crs=input_crs,
        ),
        network=routing.network(),
        items=items,
        off_network_resources=off_network,
        population=Population(params.radius_m, None if persons is None else int(round(persons))),
    )


def _equipment(items) -> list[str]:
    """A team's equipment as "冲锋舟 ×2", the largest quantities first."""
    rows = [e for e in items or [] if isinstance(e, dict) and e.get("name")]
    rows.sort(key=lambda e: -(e.get("quantity") or 0))
    return [
        f"{e['name']} ×{e['quantity']}{e.get('unit') or ''}" if e.get("quantity") else str(e["name"])
        for e in rows
    ]


def _details(kind: Kind, record) -> dict:
    """The facts the ranked list shows for one record: a team's kind, size, key equipment and leader; a
    shelter's capacity, occupants and free places; a hospital's level and beds."""
    if kind.slug == "rescue-teams":
        return {
            "type": record.kind,
            "type_label": str(record.get_kind_display()),
            "members": record.members,
            "equipment": _equipment(record.equipment),
            "leader": record.contact_name or None,
            "phone": record.contact_phone or None,
        }
    if kind.slug == "shelters":
        return {
            "capacity": record.capacity,
            "occupancy": record.occupancy,
            "free": max(0, record.capacity - record.occupancy),
        }
    if kind.slug == "medical-facilities":
        return {
            "level": record.level,
            "level_label": str(record.get_level_display()),
            "beds": record.beds,
            "emergency_department": record.emergency_department,
        }
    return {}


DETAILED = ("rescue-teams", "shelters", "medical-facilities")


def _with_details(items: list[NearbyItem], user) -> list[NearbyItem]:
    """The ranked items with their ``details``: one query per kind, for the ranked records only."""
    found: dict[tuple[str, int], dict] = {}
    for slug in DETAILED:
        ids = [i.id for i in items if i.kind.slug == slug]
        if ids:
            kind = KINDS[slug]
            for record in records_for(kind, user).filter(pk__in=ids).defer("location"):
                found[(slug, record.pk)] = _details(kind, record)
    return [replace(i, details=found.get((i.kind.slug, i.id), {})) for i in items]


# --- the answer, as both routes declare it ---------------------------------------------------------


class OriginOut(Schema):
    lon: float
    lat: float
    snapped_node: int | None
    snap_distance_m: float | None
    on_network: bool
    input_crs: Literal["wgs84", "gcj02", "bd09"] = Field(description="the system the point was given in")


class NearbyDetailsOut(Schema):
    """What the ranked list shows of a record (fields of other kinds are null)."""

    type: str | None = Field(None, description="a team's kind (TeamKind)")
    type_label: str | None = None
    members: int | None = Field(None, description="a team's people")
    equipment: list[str] = Field(default_factory=list, description="a team's equipment, largest first")
    leader: str | None = Field(None, description="a team's leader (contact) on record")
    phone: str | None = None
    capacity: int | None = Field(None, description="a shelter's capacity (persons)")
    occupancy: int | None = Field(None, description="a shelter's occupants now")
    free: int | None = Field(None, description="a shelter's free places")
    level: str | None = Field(None, description="a medical facility's level")
    level_label: str | None = None
    beds: int | None = None
    emergency_department: bool | None = None


class NearbyItemOut(Schema):
    kind: str
    id: int
    name: str
    lon: float
    lat: float
    distance_m: float
    eta_s: float
    eta_method: Literal["road", "estimated"]
    direction: Literal["to", "from"] = Field(description="to: it travels to the point; from: people go to it")
    status: str | None = Field(None, description="a team's or shelter's status (other kinds: null)")
    availability: str | None = Field(None, description="an expert's availability (other kinds: null)")
    details: NearbyDetailsOut = Field(description="the facts officers decide with")

    @staticmethod
    def resolve_kind(item: NearbyItem) -> str:
        return item.kind.slug

    @staticmethod
    def resolve_direction(item: NearbyItem) -> str:
        return item.kind.travel

    @staticmethod
    def resolve_status(item: NearbyItem) -> str | None:
        return item.state if item.kind.state_field == "status" else None

    @staticmethod
    def resolve_availability(item: NearbyItem) -> str | None:
        return item.state if item.kind.state_field == "availability" else None


class PopulationOut(Schema):
    radius_m: float
    persons: int | None = Field(description="persons within the radius (None without a population grid)")


class NearbyOut(Schema):
    origin: OriginOut
    network: NetworkOut
    items: list[NearbyItemOut] = Field(description="fastest first")
    off_network_resources: int = Field(description="resources too far from the road network to rank")
    population: PopulationOut
