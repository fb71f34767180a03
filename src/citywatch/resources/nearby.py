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
each ranked kind are read once (id, name, point, state, area path and the columns the ranked list shows,
``DETAIL_FIELDS``) and, per direction, set of kinds and jurisdiction, cut to what a user sees and snapped
to the road network once (the engine's ``prepare_candidates``). A request then costs the engine's search
plus serialising the answer, not a reload of the registry nor a read of the ranked records. Team
leaders' names come from ``LEADERS``, kept under the access version (``core.credentials``). Everything
kept is labelled with the registry's version (``RegistryVersion``, raised by every write to a record or
an admin area, in the writing transaction) read before it was loaded, and dropped when a request reads
another version; a road graph published since is another key. A user whose role has a row rule on a
kind (none today) is answered from the database as before, uncached.

Whole answers (``ANSWERS``, the JSON of ``GET /api/v1/nearby``): the same question on the same data —
same versions, same view of the registry, same language, same point and parameters — is answered with
the bytes of the first answer, without a search (``nearby_json``).

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
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from django.utils import translation
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


# The columns each kind's ranked items show (``_details``), read with the candidates.
DETAIL_FIELDS = {
    "rescue-teams": ("kind", "members", "equipment", "leader_id", "contact_name", "contact_phone"),
    "shelters": ("capacity", "occupancy"),
    "facilities": ("kind", "capacity"),
    "medical-facilities": ("level", "beds", "emergency_department"),
}


@dataclass(frozen=True)
class KindTable:
    """Every located record of one kind, as the nearby analysis reads them (arrays in one order)."""

    kind: Kind
    pks: np.ndarray
    names: list[str]
    lonlat: np.ndarray  # (n, 2)
    states: list
    paths: np.ndarray  # the area's path per record (str), for the jurisdiction cut
    details: list  # per record, the values of the kind's DETAIL_FIELDS (a dict), or None

    @classmethod
    def load(cls, kind: Kind, queryset=None) -> KindTable:
        qs = records(kind) if queryset is None else queryset
        state = (kind.state_field,) if kind.state_field else ()
        shown = DETAIL_FIELDS.get(kind.slug, ())
        fields = ("pk", "name", "location", "area__path", *state, *shown)
        rows = list(qs.filter(location__isnull=False).values_list(*fields))
        first = 4 + len(state)
        return cls(
            kind=kind,
            pks=np.array([r[0] for r in rows], dtype=np.int64),
            names=[r[1] for r in rows],
            lonlat=np.array([(r[2].x, r[2].y) for r in rows], dtype=float).reshape(-1, 2),
            states=[r[4] if state else None for r in rows],
            paths=np.array([r[3] or "" for r in rows], dtype=object),
            details=[dict(zip(shown, r[first:], strict=True)) if shown else None for r in rows],
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
    details: list
    candidates: object  # routing Candidates, or None when there are no records
    groups: object  # the engine's Groups of ``labels`` over ``candidates`` (prepared once), or None
    shown: dict = field(default_factory=dict, compare=False)  # (language, position) → ``_details`` memo

    @classmethod
    def of(cls, engine, tables: list[KindTable], positions: list[np.ndarray]) -> Prepared:
        kinds = tuple(t.kind for t in tables)
        pairs = list(zip(tables, positions, strict=True))
        labels = np.concatenate([np.full(len(p), g, dtype=np.int64) for g, p in enumerate(positions)] or [[]])
        pks = np.concatenate([t.pks[p] for t, p in pairs] or [[]]).astype(np.int64)
        names = [t.names[i] for t, p in pairs for i in p]
        states = [t.states[i] for t, p in pairs for i in p]
        details = [t.details[i] for t, p in pairs for i in p]
        lonlat = np.vstack([t.lonlat[p] for t, p in pairs] or [np.zeros((0, 2))])
        labels = labels.astype(np.int64)
        candidates = engine.prepare_candidates(lonlat) if len(pks) else None
        groups = engine.prepare_groups(candidates, labels) if candidates is not None else None
        return cls(kinds, labels, pks, names, lonlat, states, details, candidates, groups)


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

    def get(self, engine, user, kinds: list[Kind], version: int | None = None) -> Prepared:
        """The candidates of ``kinds`` (one direction) that ``user`` may see; ``version``: the registry's
        version if the caller has just read it (else it is read here)."""
        kinds = [kind for kind in kinds if access.can(user, kind.model, "view")]
        scope = scope_of(user)
        if scope.nothing or not kinds:
            return Prepared.of(engine, [], [])
        if any(access.row_rule(user, kind.model, "view") is not None for kind in kinds):
            tables = [KindTable.load(kind, records_for(kind, user)) for kind in kinds]
            return Prepared.of(engine, tables, [np.arange(len(t.pks)) for t in tables])
        version = RegistryVersion.current() if version is None else version
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


class Answers:
    """Whole answers of ``GET /api/v1/nearby`` (the JSON), kept per process: the same question about the
    same data gets the same bytes without a search (an incident's point is asked about by everyone who
    opens it, and again by every refresh of the one-map).

    The key holds everything an answer depends on: the registry's version (every record, its state and
    details), the access version (what the user may see, team leaders' names), what this user sees (the
    kinds their role may view, their jurisdiction), the request's language (labels), the point exactly as
    given and the parameters. The road engine and the population grid in use are kept beside the
    answers; another of either (a graph or grid published since) empties the store. A user whose role has
    a row rule on a ranked kind is never answered from here. ``hits`` and ``misses`` are for tests."""

    def __init__(self, size: int = 512):
        self.size = size
        self.lock = threading.Lock()
        self.sources: tuple = ()
        self.answers: OrderedDict[tuple, bytes] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        with self.lock:
            self.sources, self.answers, self.hits, self.misses = (), OrderedDict(), 0, 0

    def get(self, sources: tuple, key: tuple) -> bytes | None:
        with self.lock:
            if len(sources) != len(self.sources) or any(
                a is not b for a, b in zip(sources, self.sources, strict=True)
            ):
                self.sources, self.answers = sources, OrderedDict()
            body = self.answers.get(key)
            if body is None:
                self.misses += 1
                return None
            self.hits += 1
            self.answers.move_to_end(key)
            return body

    def put(self, sources: tuple, key: tuple, body: bytes) -> None:
        with self.lock:
            if len(sources) == len(self.sources) and all(
                a is b for a, b in zip(sources, self.sources, strict=True)
            ):
                self.answers[key] = body
                while len(self.answers) > self.size:
                    self.answers.popitem(last=False)


ANSWERS = Answers()


def nearby_json(user, lon: float, lat: float, params: NearbyParams, *, input_crs: str = "wgs84") -> bytes:
    """``nearby(…)`` as the JSON of ``NearbyOut`` (validated by it), from ``ANSWERS`` when the same
    question was answered on the same data before."""
    from citywatch.core.credentials import version_seen

    kinds = [kind for kind in params.kind_list if access.can(user, kind.model, "view")]
    if any(access.row_rule(user, kind.model, "view") is not None for kind in kinds):
        return render(nearby(user, lon, lat, params, input_crs=input_crs))
    scope = scope_of(user)
    sources = (routing.get_engine(), population.current_population())
    versions = (RegistryVersion.current(), version_seen(user))  # the access version: as authenticated
    key = (
        *versions,
        tuple(kind.slug for kind in kinds),
        scope.everything,
        scope.path,
        translation.get_language(),
        lon,
        lat,
        input_crs,
        params.kinds,
        params.minutes,
        params.radius_m,
        params.limit,
    )
    body = ANSWERS.get(sources, key)
    if body is None:
        body = render(nearby(user, lon, lat, params, input_crs=input_crs, versions=versions))
        ANSWERS.put(sources, key, body)
    return body


def render(answer: Nearby) -> bytes:
    """The answer as ``NearbyOut`` JSON, validated and written by pydantic in one pass."""
    return NearbyOut.model_validate(answer).model_dump_json().encode()


def nearby(
    user, lon: float, lat: float, params: NearbyParams, *, input_crs: str = "wgs84", versions: tuple = ()
) -> Nearby:
    """The registry's resources nearest the WGS-84 point by travel time, as ``user`` may see them: the
    ``params.limit`` fastest of each kind within ``params.minutes``, fastest first (then by kind and id),
    with the population within ``params.radius_m``. ``versions``: the registry's and the access version
    if the caller has just read them (else they are read here)."""
    engine = routing.get_engine()
    snap = engine.snap_point((lon, lat))  # once, for both directions' searches
    version, access_version = versions or (RegistryVersion.current(), None)
    ranked: list[tuple[Prepared, int, object]] = []
    off_network = 0
    for direction in DIRECTIONS:
        kinds = [kind for kind in params.kind_list if kind.travel == direction]
        prepared = CANDIDATES.get(engine, user, kinds, version)
        if prepared.candidates is None:
            continue
        answer = engine.nearest_by_time(
            snap,  # the point snapped once for both directions
            prepared.candidates,
            direction,
            params.minutes * 60,
            params.limit,
            groups=prepared.groups,
        )
        off_network += len(answer.off_network)
        ranked += [(prepared, hit.index, hit) for hit in answer.results]
    leaders = LEADERS.names(
        {
            p.details[i]["leader_id"]
            for p, i, _hit in ranked
            if p.details[i] and p.details[i].get("leader_id") is not None
        },
        access_version,
    )
    language = translation.get_language()
    items = []
    for prepared, i, hit in ranked:
        kind = prepared.kinds[prepared.labels[i]]
        items.append(
            NearbyItem(
                kind=kind,
                id=int(prepared.pks[i]),
                name=prepared.names[i],
                lon=float(prepared.lonlat[i, 0]),
                lat=float(prepared.lonlat[i, 1]),
                distance_m=round(hit.distance_m, 1),
                eta_s=round(hit.eta_s, 1),
                eta_method=hit.eta_method,
                state=prepared.states[i],
                details=_shown(prepared, i, kind, language, leaders),
            )
        )
    items.sort(key=lambda i: (i.eta_s, i.kind.slug, i.id))
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


class LeaderNames:
    """Team leaders' names as the ranked list shows them (``User.display_name``), kept per process under
    the access version (``core.credentials``; every write to a user raises it): a renamed leader shows
    at the next request, and a steady stream of requests reads no user row."""

    def __init__(self):
        self.lock = threading.Lock()
        self.version: int | None = None
        self.known: dict[int, str] = {}

    def clear(self) -> None:
        with self.lock:
            self.version, self.known = None, {}

    def names(self, ids: set[int], version: int | None = None) -> dict[int, str]:
        """``version``: the access version if the caller has just read it (else it is read here)."""
        if not ids:
            return {}
        from citywatch.core.credentials import current_version
        from citywatch.core.models import User

        version = current_version() if version is None else version
        with self.lock:
            if version is None or version != self.version:
                self.version, self.known = version, {}
            found = {pk: self.known[pk] for pk in ids if pk in self.known}
        missing = ids - found.keys()
        if missing:
            read = {u.pk: u.display_name for u in User.objects.filter(pk__in=missing)}
            found.update(read)
            with self.lock:
                if version is not None and version == self.version:
                    if len(self.known) > 10_000:
                        self.known = {}
                    self.known.update(read)
        return found


LEADERS = LeaderNames()


def _equipment(items) -> list[str]:
    """A team's equipment as "冲锋舟 ×2", the largest quantities first."""
    rows = [e for e in items or [] if isinstance(e, dict) and e.get("name")]
    rows.sort(key=lambda e: -(e.get("quantity") or 0))
    return [
        f"{e['name']} ×{e['quantity']}{e.get('unit') or ''}" if e.get("quantity") else str(e["name"])
        for e in rows
    ]


_labels: dict[tuple, str] = {}


def _label(kind: Kind, field_name: str, value) -> str:
    """The display of a choice (``get_<field>_display``) in the request's language, memoised."""
    key = (translation.get_language(), kind.slug, field_name, value)
    label = _labels.get(key)
    if label is None:
        choices = dict(kind.model._meta.get_field(field_name).flatchoices)
        label = _labels[key] = str(choices.get(value, value))
    return label


def _shown(prepared: Prepared, i: int, kind: Kind, language: str, leaders: dict[int, str]) -> dict:
    """``_details`` of the candidate at ``i``, memoised in ``prepared`` per language; only a team's
    leader on record (a name kept under the access version) is filled in per request."""
    key = (language, i)
    shown = prepared.shown.get(key)
    if shown is None:
        shown = prepared.shown[key] = _details(kind, prepared.details[i], {})
    row = prepared.details[i]
    if row and row.get("leader_id") is not None:
        return {**shown, "leader": leaders.get(row["leader_id"])}
    return shown


def _details(kind: Kind, row: dict | None, leaders: dict[int, str]) -> dict:
    """The facts the ranked list shows for one record: a team's kind, size, key equipment and leader; a
    shelter's capacity, occupants and free places; a hospital's level and beds."""
    if not row:
        return {}
    if kind.slug == "rescue-teams":
        leader = row["leader_id"]
        return {
            "type": row["kind"],
            "type_label": _label(kind, "kind", row["kind"]),
            "members": row["members"],
            "equipment": _equipment(row["equipment"]),
            # The leader on record (who receives the orders), else the contact named in the registry.
            "leader": leaders.get(leader) if leader is not None else (row["contact_name"] or None),
            "leader_on_record": leader is not None,
            "phone": row["contact_phone"] or None,
        }
    if kind.slug == "shelters":
        return {
            "capacity": row["capacity"],
            "occupancy": row["occupancy"],
            "free": max(0, row["capacity"] - row["occupancy"]),
        }
    if kind.slug == "facilities":
        return {
            "type": row["kind"],
            "type_label": _label(kind, "kind", row["kind"]),
            "capacity": row["capacity"],
        }
    if kind.slug == "medical-facilities":
        return {
            "level": row["level"],
            "level_label": _label(kind, "level", row["level"]),
            "beds": row["beds"],
            "emergency_department": row["emergency_department"],
        }
    return {}


# --- the answer, as both routes declare it ---------------------------------------------------------
# Plain pydantic models read from the answer's attributes (``from_attributes``), like ``NearbyItemOut``:
# ninja's ``Schema`` wraps every object it validates in a resolver (``DjangoGetter``), which cost as much
# as writing the whole answer. The JSON and the OpenAPI document are the same.


class OriginOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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


class PopulationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    radius_m: float
    persons: int | None = Field(description="persons within the radius (None without a population grid)")


class NearbyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    origin: OriginOut
    network: NetworkOut
    items: list[NearbyItemOut] = Field(description="fastest first")
    off_network_resources: int = Field(description="resources too far from the road network to rank")
    population: PopulationOut
