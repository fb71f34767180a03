"""What is near a point, by travel time: the registry's resources ranked by the road engine.

The nearby analysis behind ``GET /api/v1/nearby`` and ``GET /api/v1/incidents/{pk}/nearby`` (and the
one-map). Each kind of the kinds table that has a ``travel`` direction takes part: rescue teams, depots
and experts travel **to** the point (ranked by their time to it, on the reversed road graph); people are
taken **from** the point to shelters, medical facilities and facilities (the forward graph). Only the
records the user may see count (``records_for``: their role and jurisdiction).

The engine is asked once per direction, with every candidate of that direction labelled by its kind
(``nearest_by_time(groups=…)``): one road search from the point per direction instead of one per kind,
with the same ranking per kind (the ``limit`` fastest of each).

Prepared candidates, kept per process (``CANDIDATES``, a ``CandidateCache``): the located records of
each ranked kind are read once (id, name, point, state, area path) and, per direction, set of kinds and
jurisdiction, cut to what a user sees and snapped to the road network once (the engine's
``prepare_candidates``). A request then costs the engine's search plus serialising the answer, not a
reload of the registry. Everything kept is labelled with the registry's version
(``RegistryVersion``, raised by every write to a record or an admin area, in the writing transaction)
read before it was loaded, and dropped when a request reads another version; a road graph published
since is another key. A user whose role has a row rule on a kind (none today) is answered from the
database as before, uncached.

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

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field, field_validator

from citywatch.core import access
from citywatch.core.models.base import scope_of
from citywatch.geo import population, routing
from citywatch.geo.api import NetworkOut
from citywatch.geo.routing import Network
from citywatch.resources.kinds import FROM, KINDS, NEARBY_KINDS, TO, Kind
from citywatch.resources.models import RegistryVersion
from citywatch.resources.queries import records, records_for

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

    @property
    def direction(self) -> str:
        return self.kind.travel

    @property
    def status(self) -> str | None:
        return self.state if self.kind.state_field == "status" else None

    @property
    def availability(self) -> str | None:
        return self.state if self.kind.state_field == "availability" else None


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


@dataclass(frozen=True)
class KindTable:
    """Every located record of one kind, as the nearby analysis reads them (arrays in one order)."""

    kind: Kind
    pks: np.ndarray
    names: list[str]
    lonlat: np.ndarray  # (n, 2)
    states: list
    paths: np.ndarray  # the area's path per record (str), for the jurisdiction cut

    @classmethod
    def load(cls, kind: Kind, queryset=None) -> KindTable:
        qs = records(kind) if queryset is None else queryset
        state = (kind.state_field,) if kind.state_field else ()
        fields = ("pk", "name", "location", "area__path", *state)
        rows = list(qs.filter(location__isnull=False).values_list(*fields))
        return cls(
            kind=kind,
            pks=np.array([r[0] for r in rows], dtype=np.int64),
            names=[r[1] for r in rows],
            lonlat=np.array([(r[2].x, r[2].y) for r in rows], dtype=float).reshape(-1, 2),
            states=[r[4] if state else None for r in rows],
            paths=np.array([r[3] or "" for r in rows], dtype=object),
        )

    def visible(self, everything: bool, path: str) -> np.ndarray:
        """Positions of the records in a jurisdiction (``core.models.base.Scope``: city-wide users also
        see records tied to no area)."""
        if everything and path == "":
            return np.arange(len(self.pks))
        inside = np.fromiter((p.startswith(path) for p in self.paths), dtype=bool, count=len(self.paths))
        if everything:
            inside |= self.paths == ""
        return np.flatnonzero(inside)


@dataclass(frozen=True)
class Prepared:
    """The candidates of one direction for one user's view: kinds (group label = position), and per
    candidate its kind label, id, name, point and state; ``candidates`` snapped once by the engine."""

    kinds: tuple[Kind, ...]
    labels: np.ndarray
    pks: np.ndarray
    names: list[str]
    lonlat: np.ndarray
    states: list
    candidates: object  # routing Candidates, or None when there are no records

    @classmethod
    def of(cls, engine, tables: list[KindTable], positions: list[np.ndarray]) -> Prepared:
        kinds = tuple(t.kind for t in tables)
        pairs = list(zip(tables, positions, strict=True))
        labels = np.concatenate([np.full(len(p), g, dtype=np.int64) for g, p in enumerate(positions)] or [[]])
        pks = np.concatenate([t.pks[p] for t, p in pairs] or [[]]).astype(np.int64)
        names = [t.names[i] for t, p in pairs for i in p]
        states = [t.states[i] for t, p in pairs for i in p]
        lonlat = np.vstack([t.lonlat[p] for t, p in pairs] or [np.zeros((0, 2))])
        candidates = engine.prepare_candidates(lonlat) if len(pks) else None
        return cls(kinds, labels.astype(np.int64), pks, names, lonlat, states, candidates)


class CandidateCache:
    """The per-process store of ``KindTable``s and ``Prepared`` candidate sets, labelled with the registry
    version read before loading them (see the module's docstring). ``loads`` counts the kinds read from
    the database and ``preparations`` the candidate sets snapped (tests read them)."""

    def __init__(self, size: int = 64):
        self.size = size
        self.lock = threading.Lock()
        self.version: int | None = None
        self.tables: dict[str, KindTable] = {}
        self.prepared: OrderedDict[tuple, Prepared] = OrderedDict()
        self.loads = 0
        self.preparations = 0

    def clear(self) -> None:
        """Forget everything, counters too (a test counts from here)."""
        with self.lock:
            self.version = None
            self.tables = {}
            self.prepared = OrderedDict()
            self.loads = 0
            self.preparations = 0

    def get(self, engine, user, kinds: list[Kind]) -> Prepared:
        """The candidates of ``kinds`` (one direction) that ``user`` may see."""
        kinds = [kind for kind in kinds if access.can(user, kind.model, "view")]
        scope = scope_of(user)
        if scope.nothing or not kinds:
            return Prepared.of(engine, [], [])
        if any(access.row_rule(user, kind.model, "view") is not None for kind in kinds):
            tables = [KindTable.load(kind, records_for(kind, user)) for kind in kinds]
            return Prepared.of(engine, tables, [np.arange(len(t.pks)) for t in tables])
        version = RegistryVersion.current()
        key = (engine.graph_id, tuple(kind.slug for kind in kinds), scope.everything, scope.path)
        with self.lock:
            if version != self.version:
                self.version, self.tables, self.prepared = version, {}, OrderedDict()
            hit = self.prepared.get(key)
            if hit is not None:
                self.prepared.move_to_end(key)
                return hit
            tables = []
            for kind in kinds:
                table = self.tables.get(kind.slug)
                if table is None:
                    table = self.tables[kind.slug] = KindTable.load(kind)
                    self.loads += 1
                tables.append(table)
            prepared = Prepared.of(engine, tables, [t.visible(scope.everything, scope.path) for t in tables])
            self.preparations += 1
            self.prepared[key] = prepared
            while len(self.prepared) > self.size:
                self.prepared.popitem(last=False)
            return prepared


CANDIDATES = CandidateCache()


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
        prepared = CANDIDATES.get(engine, user, kinds)
        if prepared.candidates is None:
            continue
        answer = engine.nearest_by_time(
            (lon, lat),
            prepared.candidates,
            direction,
            params.minutes * 60,
            params.limit,
            groups=prepared.labels,
        )
        off_network += len(answer.off_network)
        for hit in answer.results:
            i = hit.index
            items.append(
                NearbyItem(
                    kind=prepared.kinds[prepared.labels[i]],
                    id=int(prepared.pks[i]),
                    name=prepared.names[i],
                    lon=float(prepared.lonlat[i, 0]),
                    lat=float(prepared.lonlat[i, 1]),
                    distance_m=round(hit.distance_m, 1),
                    eta_s=round(hit.eta_s, 1),
                    eta_method=hit.eta_method,
                    state=prepared.states[i],
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
            # The leader on record (who receives the orders), else the contact named in the registry.
            "leader": record.leader.display_name if record.leader_id else (record.contact_name or None),
            "leader_on_record": bool(record.leader_id),
            "phone": record.contact_phone or None,
        }
    if kind.slug == "shelters":
        return {
            "capacity": record.capacity,
            "occupancy": record.occupancy,
            "free": max(0, record.capacity - record.occupancy),
        }
    if kind.slug == "facilities":
        label = str(record.get_kind_display())
        return {"type": record.kind, "type_label": label, "capacity": record.capacity}
    if kind.slug == "medical-facilities":
        return {
            "level": record.level,
            "level_label": str(record.get_level_display()),
            "beds": record.beds,
            "emergency_department": record.emergency_department,
        }
    return {}


DETAILED = ("rescue-teams", "shelters", "medical-facilities", "facilities")


def _with_details(items: list[NearbyItem], user) -> list[NearbyItem]:
    """The ranked items with their ``details``: one query per kind, for the ranked records only."""
    found: dict[tuple[str, int], dict] = {}
    for slug in DETAILED:
        ids = [i.id for i in items if i.kind.slug == slug]
        if ids:
            kind = KINDS[slug]
            rows = records_for(kind, user).filter(pk__in=ids).defer("location")
            if slug == "rescue-teams":
                rows = rows.select_related("leader")
            for record in rows:
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


class NearbyDetailsOut(BaseModel):
    """What the ranked list shows of a record (fields of other kinds are null)."""

    type: str | None = Field(None, description="a team's or facility's kind (TeamKind, FacilityKind)")
    type_label: str | None = None
    members: int | None = Field(None, description="a team's people")
    equipment: list[str] = Field(default_factory=list, description="a team's equipment, largest first")
    leader: str | None = Field(None, description="a team's leader on record, else its contact")
    leader_on_record: bool | None = Field(None, description="false: the team has no leader to receive orders")
    phone: str | None = None
    capacity: int | None = Field(None, description="a shelter's capacity (persons)")
    occupancy: int | None = Field(None, description="a shelter's occupants now")
    free: int | None = Field(None, description="a shelter's free places")
    level: str | None = Field(None, description="a medical facility's level")
    level_label: str | None = None
    beds: int | None = None
    emergency_department: bool | None = None


class NearbyItemOut(BaseModel):
    """One ranked record. A plain pydantic model read from ``NearbyItem``'s attributes (no resolvers):
    an answer holds up to 200 per kind, and ninja's per-field resolution cost more than the search."""

    model_config = ConfigDict(from_attributes=True)

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

    @field_validator("kind", mode="before")
    @classmethod
    def _slug(cls, value):
        return getattr(value, "slug", value)


class PopulationOut(Schema):
    radius_m: float
    persons: int | None = Field(description="persons within the radius (None without a population grid)")


class NearbyOut(Schema):
    origin: OriginOut
    network: NetworkOut
    items: list[NearbyItemOut] = Field(description="fastest first")
    off_network_resources: int = Field(description="resources too far from the road network to rank")
    population: PopulationOut
