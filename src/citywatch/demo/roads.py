"""A synthetic road network and population grid for the demo city, loaded through the real importers.

Both are made on the land of Xiamen's real district boundaries (``AdminArea`` level district, from the
demo data, clipped to the land of the demo's land file by ``demo.land``: the boundaries take in their
waters) and are **synthetic**: no road or person here is surveyed. Every way carries
``note=synthetic (CityWatch demo)`` and street names end in （演示）; the files are named
``xiamen-synthetic-*`` (so the published manifests name them so too) and the population CSV says so in
a comment line. The README explains how to load a real OpenStreetMap extract and a WorldPop raster
instead.

Population (``write_demo_population_csv``)
    ``lon,lat,persons`` at the centres of a ~500 m grid (0.005° × 0.0045°) over the districts' land.
    Each cell's weight is a rural floor (lower in the northern mountains) plus Gaussian kernels around
    the urban cores (``CORES``), with a little deterministic noise; the weights are scaled so that each
    district holds its 2020 census population (``DISTRICT_POPULATION``, which add up to the city's
    5,163,970) and rounded to integers by largest remainder, so the total is exactly 5,163,970.

Roads (``write_demo_pbf``)
    A real ``.osm.pbf`` (pyosmium ``SimpleWriter``) for ``citywatch import roads``:

    * a street lattice (~200 m) on land whose spacing follows the population density: every lattice
      line in the dense cores (Siming, Huli, Jimei, Haicang: residential streets between tertiary and
      secondary roads), every second line in the suburbs, every fourth (~800 m) in the countryside and
      every eighth (~1.6 km) in the thinly peopled north (Tong'an, Xiang'an hills);
    * trunk roads between the district centres and the crossing ends: the digital straight line over
      the lattice where it stays on land (else the shortest path over land), kept only at its junctions
      with the major street lines, about a kilometre apart, and straight between them (crossing the
      streets in between on its own level);
    * a few roundabouts (``junction=roundabout``, counter-clockwise, as traffic keeps right) and pairs
      of one-way streets in the Siming and Huli cores;
    * Xiamen Island (思明 and 湖里) and the mainland are separate lattices; the **only** links between
      them are the five crossings in ``CROSSINGS``, placed approximately where the real ones are, each
      end a few hundred metres inland; small islets get no roads (Gulangyu is
      car-free, the Dadeng islands are left out);
    * every demo community point farther than ``SPUR_MIN_M`` from the network gets a short spur, so
      snapping works and the resources placed at those points are reachable; lattice fragments cut off
      by the coastline are joined to their land mass over land, or dropped.

    Node positions are lattice points moved by a small seeded jitter; everything is deterministic for
    a seed and the same boundaries, byte for byte.

Loading (``load_demo_geo``)
    Writes both files under ``DATA_DIR/demo/`` and imports them with ``IMPORTERS["roads"]`` and
    ``IMPORTERS["population"]`` — the code path of ``citywatch import roads|population``. A file whose
    SHA-256 equals the source recorded in the published manifest is not imported again (unless its
    basemap tiles are of an older format, ``geo.tiles.TILES_FORMAT``), so a second load only
    regenerates and hashes (no new version is published).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from citywatch.core.choices import AreaLevel
from citywatch.core.importing import IMPORTERS, ImportFailed
from citywatch.core.models import AdminArea
from citywatch.demo.land import LAND_FILE, district_land
from citywatch.geo import importers as _registers_geo_importers  # noqa: F401  (roads, population)
from citywatch.geo import store

SEED = 20230117
VERSION = 2  # bump when the generator changes its output on purpose (it is in the PBF header)
NOTE = "synthetic (CityWatch demo)"
SUFFIX = "（演示）"
ROADS_FILE = "xiamen-synthetic-roads.osm.pbf"
POPULATION_FILE = "xiamen-synthetic-population.csv"

# District codes (GB/T 2260).
SIMING, HAICANG, HULI, JIMEI, TONGAN, XIANGAN = "350203", "350205", "350206", "350211", "350212", "350213"
ISLAND_CODES = (SIMING, HULI)  # Xiamen Island; the other four are on the mainland
SHORT = {SIMING: "思明", HAICANG: "海沧", HULI: "湖里", JIMEI: "集美", TONGAN: "同安", XIANGAN: "翔安"}

# Resident population, 7th national census (2020-11-01), by district; the sum is the city's 5,163,970.
CENSUS_TOTAL = 5_163_970
DISTRICT_POPULATION = {
    SIMING: 1_073_315,
    HAICANG: 582_519,
    HULI: 1_036_974,
    JIMEI: 1_035_791,
    TONGAN: 855_920,
    XIANGAN: 579_451,
}
assert sum(DISTRICT_POPULATION.values()) == CENSUS_TOTAL

# --- the synthetic city's shape ---------------------------------------------------------------------


@dataclass(frozen=True)
class Core:
    """An urban core: a Gaussian kernel of population (and so of street density)."""

    name: str
    lon: float
    lat: float
    sigma_km: float
    weight: float


CORES = (
    Core("思明老城", 118.083, 24.456, 1.6, 1.0),
    Core("思明", 118.115, 24.475, 2.6, 0.9),
    Core("湖里", 118.135, 24.505, 2.4, 0.9),
    Core("湖里北", 118.120, 24.535, 2.0, 0.6),
    Core("海沧", 118.035, 24.490, 2.4, 1.0),
    Core("海沧新城", 117.990, 24.520, 2.0, 0.5),
    Core("集美", 118.100, 24.578, 2.0, 1.0),
    Core("杏林", 118.050, 24.575, 2.2, 0.9),
    Core("集美新城", 118.050, 24.620, 2.4, 0.7),
    Core("同安", 118.155, 24.725, 2.6, 1.0),
    Core("马巷", 118.245, 24.665, 2.0, 0.8),
    Core("翔安新城", 118.245, 24.610, 2.2, 0.6),
)
# Rural floor of the population weight, per district (relative to a core's peak of about 1).
FLOOR = {SIMING: 0.12, HULI: 0.12, HAICANG: 0.025, JIMEI: 0.03, TONGAN: 0.03, XIANGAN: 0.035}
MOUNTAIN_LAT = 24.78  # north of this the floor fades (the hills of northern Tong'an and Xiang'an)


@dataclass(frozen=True)
class Crossing:
    """A fixed link between Xiamen Island and the mainland (approximate position, synthetic geometry)."""

    name: str
    name_en: str
    highway: str  # trunk (one two-way way) or motorway (two one-way carriageways)
    structure: str  # bridge or tunnel
    island: tuple[float, float]  # (lon, lat) on the island's land in the demo boundaries
    mainland: tuple[float, float]
    district: str  # the mainland district

    @property
    def midpoint(self) -> tuple[float, float]:
        return ((self.island[0] + self.mainland[0]) / 2, (self.island[1] + self.mainland[1]) / 2)


# The real crossings run between the island's coast and the mainland's; each end here is the point
# about 300 m inland (on the demo's land, ``demo.land``) nearest the real landing.
CROSSINGS = (
    Crossing("厦门大桥", "Xiamen Bridge", "trunk", "bridge", (118.111, 24.546), (118.099, 24.586), JIMEI),
    Crossing(
        "海沧大桥", "Haicang Bridge", "motorway", "bridge", (118.082, 24.495), (118.038, 24.497), HAICANG
    ),
    Crossing("杏林大桥", "Xinglin Bridge", "trunk", "bridge", (118.100, 24.533), (118.054, 24.575), JIMEI),
    Crossing("集美大桥", "Jimei Bridge", "trunk", "bridge", (118.127, 24.544), (118.117, 24.599), JIMEI),
    Crossing(
        "翔安隧道", "Xiang'an Tunnel", "motorway", "tunnel", (118.189, 24.510), (118.238, 24.543), XIANGAN
    ),
)
CROSSING_MAXSPEED = "80"
CROSSING_NODE_SPACING_M = 250.0
CARRIAGEWAY_OFFSET_M = 15.0

# Trunk-road waypoints (label, lon, lat) and the links between them, per land mass. Crossing ends are
# named by the crossing.
WAYPOINTS = {
    "思明老城": (118.083, 24.456),
    "思明": (118.115, 24.475),
    "湖里": (118.135, 24.505),
    "湖里北": (118.120, 24.535),
    "海沧": (118.035, 24.490),
    "海沧新城": (117.990, 24.520),
    "杏林": (118.050, 24.575),
    "集美": (118.100, 24.578),
    "集美新城": (118.050, 24.620),
    "同安": (118.155, 24.725),
    "同安北": (118.120, 24.830),
    "马巷": (118.245, 24.665),
    "翔安新城": (118.245, 24.610),
    "翔安北": (118.300, 24.750),
    **{c.name + "（岛）": c.island for c in CROSSINGS},
    **{c.name + "（陆）": c.mainland for c in CROSSINGS},
}
TRUNK_LINKS = (
    # island
    ("思明老城", "思明"),
    ("思明", "湖里"),
    ("湖里", "湖里北"),
    ("思明老城", "海沧大桥（岛）"),
    ("海沧大桥（岛）", "杏林大桥（岛）"),
    ("杏林大桥（岛）", "厦门大桥（岛）"),
    ("厦门大桥（岛）", "湖里北"),
    ("湖里北", "集美大桥（岛）"),
    ("湖里", "翔安隧道（岛）"),
    ("思明", "翔安隧道（岛）"),
    ("海沧大桥（岛）", "湖里"),
    # mainland
    ("海沧", "海沧大桥（陆）"),
    ("海沧", "海沧新城"),
    ("海沧", "杏林"),
    ("杏林", "杏林大桥（陆）"),
    ("杏林", "集美"),
    ("集美", "厦门大桥（陆）"),
    ("集美", "集美大桥（陆）"),
    ("杏林", "集美新城"),
    ("海沧新城", "集美新城"),
    ("集美新城", "同安"),
    ("集美大桥（陆）", "同安"),
    ("同安", "同安北"),
    ("同安", "马巷"),
    ("马巷", "翔安新城"),
    ("翔安新城", "翔安隧道（陆）"),
    ("马巷", "翔安北"),
)

# Street lattice: ~200 m; the line spacing (in lattice steps) by population density (persons/km²).
LATTICE_DX = 0.002  # degrees of longitude (~202 m at 24.6° N)
LATTICE_DY = 0.0018  # degrees of latitude (~200 m)
DENSITY_STEPS = ((10_000.0, 1), (2_500.0, 2), (150.0, 4))  # below the last: every 8th line
JITTER_DEG = 0.00012  # up to ~12 m each way
SPUR_MIN_M = 250.0  # a community point farther than this from the network gets a spur
CONNECT_MAX_M = 3_000.0  # longest link that joins a cut-off lattice fragment to its land mass
MAX_WAY_SEGMENTS = 30
ROUNDABOUTS = 8
ROUNDABOUT_RADIUS_M = 35.0
ONEWAY_CORES = ("思明老城", "湖里")
ONEWAY_RADIUS_KM = 1.6

POP_DX = 0.005
POP_DY = 0.0045
POP_NOISE = 0.25  # sigma of the multiplicative log-normal noise per cell

# OSM tags per class: default maxspeed tag and the Chinese name ending.
CLASS_TAGS = {
    "motorway": ("100", "高速"),
    "trunk": ("80", "干道"),
    "secondary": ("CN:urban", "大道"),
    "tertiary": ("40", "路"),
    "unclassified": ("40", "乡道"),
    "residential": ("30", "街"),
}
CLASS_RANK = {"motorway": 6, "trunk": 5, "secondary": 4, "tertiary": 3, "unclassified": 2, "residential": 1}

M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQ = 111_320.0
REF_LAT = 24.6


def _to_m(lon, lat) -> np.ndarray:
    """Local planar metres (equirectangular about REF_LAT): good enough for a city's neighbours."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return np.column_stack([lon * M_PER_DEG_LON_EQ * np.cos(np.radians(REF_LAT)), lat * M_PER_DEG_LAT])


# --- the land -----------------------------------------------------------------------------------------


@dataclass
class Land:
    """The districts' land as shapely geometry, and the two land masses the roads are drawn on."""

    codes: list[str]
    districts: list  # shapely (Multi)Polygons, the districts' land, same order as codes
    island: object  # the largest polygon of the island districts' land (Xiamen Island)
    mainland: object  # the largest polygon of the mainland districts' land
    community_xy: np.ndarray  # (n, 2) lon/lat of the community points
    community_names: list[str]

    def district_index(self, lon, lat) -> np.ndarray:
        """Index into ``codes`` of the district containing each point (-1: none)."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        out = np.full(lon.shape, -1, dtype=np.int64)
        for k, geom in enumerate(self.districts):
            inside = (out < 0) & shapely.contains_xy(geom, lon, lat)
            out[inside] = k
        return out

    def mass_of(self, lon, lat) -> np.ndarray:
        """1 on Xiamen Island, 2 on the mainland, 0 elsewhere (sea, small islets)."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        out = np.zeros(lon.shape, dtype=np.int8)
        out[shapely.contains_xy(self.island, lon, lat)] = 1
        out[(out == 0) & shapely.contains_xy(self.mainland, lon, lat)] = 2
        return out


def _largest(geom):
    parts = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type == "Polygon"]
    return max(parts, key=lambda g: g.area)


def load_land() -> Land:
    """The six districts and the community points from the database (the demo areas must be loaded)."""
    rows = AdminArea.objects.filter(level=AreaLevel.DISTRICT, boundary__isnull=False).order_by("code")
    geoms = {a.code: district_land(shapely.from_wkb(bytes(a.boundary.wkb))) for a in rows}
    missing = [code for code in SHORT if code not in geoms]
    if missing:
        raise RuntimeError(
            f"the demo districts {', '.join(missing)} have no boundary; load the demo areas first"
        )
    codes = sorted(SHORT)
    districts = [geoms[c] for c in codes]
    for geom in districts:
        shapely.prepare(geom)
    island = _largest(shapely.union_all([geoms[c] for c in ISLAND_CODES]))
    mainland = _largest(shapely.union_all([geoms[c] for c in codes if c not in ISLAND_CODES]))
    shapely.prepare(island)
    shapely.prepare(mainland)
    communities = (
        AdminArea.objects.filter(level=AreaLevel.COMMUNITY, point__isnull=False)
        .order_by("code")
        .values_list("name", "point")
    )
    names = [name for name, _ in communities]
    xy = np.array([(p.x, p.y) for _, p in communities], dtype=float).reshape(-1, 2)
    return Land(codes, districts, island, mainland, xy, names)


# --- population -----------------------------------------------------------------------------------


def _kernel_weight(lon, lat, district_idx, codes) -> np.ndarray:
    """Floor + Gaussian cores, before the per-district scaling (no noise)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    xy = _to_m(lon, lat)
    w = np.zeros(lon.shape, dtype=float)
    for core in CORES:
        c = _to_m(core.lon, core.lat)[0]
        d2 = (xy[:, 0] - c[0]) ** 2 + (xy[:, 1] - c[1]) ** 2
        w += core.weight * np.exp(-d2 / (2 * (core.sigma_km * 1000.0) ** 2))
    floor = np.array([FLOOR[c] for c in codes] + [0.0])[district_idx]
    floor = floor * np.exp(-np.maximum(lat - MOUNTAIN_LAT, 0.0) / 0.05)
    return w + floor


@dataclass
class Population:
    lon: np.ndarray
    lat: np.ndarray
    persons: np.ndarray  # int64, sums to CENSUS_TOTAL
    scale: np.ndarray  # persons per unit of kernel weight, per district (for density elsewhere)
    cell_km2: float


def _largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    """Integers summing to ``total``, each the floor of its value or one more (largest fractions first,
    ties by position)."""
    base = np.floor(values).astype(np.int64)
    short = int(total - base.sum())
    if short:
        order = np.argsort(-(values - base), kind="stable")
        base[order[:short]] += 1
    return base


def synthetic_population(land: Land, seed: int = SEED) -> Population:
    rng = np.random.default_rng([seed, 2])
    minx, miny, maxx, maxy = shapely.union_all(land.districts).bounds
    lons = np.arange(np.floor(minx / POP_DX) * POP_DX + POP_DX / 2, maxx, POP_DX)
    lats = np.arange(np.floor(miny / POP_DY) * POP_DY + POP_DY / 2, maxy, POP_DY)
    glon, glat = (a.ravel() for a in np.meshgrid(lons, lats))
    glon, glat = np.round(glon, 6), np.round(glat, 6)
    district = land.district_index(glon, glat)
    noise = np.exp(rng.normal(0.0, POP_NOISE, len(glon)))
    keep = district >= 0
    glon, glat, district, noise = glon[keep], glat[keep], district[keep], noise[keep]
    weight = _kernel_weight(glon, glat, district, land.codes)
    persons = np.zeros(len(glon), dtype=np.int64)
    scale = np.zeros(len(land.codes))
    for k, code in enumerate(land.codes):
        mask = district == k
        noisy = weight[mask] * noise[mask]
        scale[k] = DISTRICT_POPULATION[code] / weight[mask].sum()
        persons[mask] = _largest_remainder(
            noisy * DISTRICT_POPULATION[code] / noisy.sum(), DISTRICT_POPULATION[code]
        )
    cell_km2 = float(POP_DX * M_PER_DEG_LON_EQ * np.cos(np.radians(REF_LAT)) * POP_DY * M_PER_DEG_LAT / 1e6)
    return Population(glon, glat, persons, scale, cell_km2)


def write_demo_population_csv(path, seed: int = SEED, land: Land | None = None) -> int:
    """Write the synthetic population grid as ``lon,lat,persons``; returns the total (5,163,970)."""
    land = land or load_land()
    pop = synthetic_population(land, seed)
    keep = pop.persons > 0
    lines = [
        "lon,lat,persons",
        f"# synthetic population grid (CityWatch demo, seed {seed}): {CENSUS_TOTAL:,} persons = the 2020 "
        "census total, spread by the demo's own model; not a survey",
    ]
    lines += [
        f"{x:.6f},{y:.6f},{p}"
        for x, y, p in zip(pop.lon[keep], pop.lat[keep], pop.persons[keep], strict=True)
    ]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return int(pop.persons.sum())


# --- roads ----------------------------------------------------------------------------------------


class _Network:
    """What is written to the PBF: nodes (id → lon, lat) and ways (tags, node ids), in order."""

    def __init__(self):
        self.node_lon: dict[int, float] = {}
        self.node_lat: dict[int, float] = {}
        self.next_id = 0
        # ways: (tags, [node ids]); kept in creation order
        self.ways: list[tuple[dict, list[int]]] = []

    def add_node(self, lon: float, lat: float) -> int:
        self.next_id += 1
        self.node_lon[self.next_id] = float(lon)
        self.node_lat[self.next_id] = float(lat)
        return self.next_id


def _tags(highway: str, name: str, oneway: str | None = "no", maxspeed: str | None = None, **extra) -> dict:
    tags = {"highway": highway, "name": name, "note": NOTE}
    tags["maxspeed"] = maxspeed or CLASS_TAGS[highway][0]
    if oneway is not None:
        tags["oneway"] = oneway
    tags.update(extra)
    return tags


class _Builder:
    """The road generator: a lattice on land, then trunk roads, fixes, crossings and spurs."""

    def __init__(self, land: Land, seed: int):
        self.land = land
        self.seed = seed
        self.rng = np.random.default_rng([seed, 1])
        minx, miny, maxx, maxy = shapely.union_all([land.island, land.mainland]).bounds
        self.lon0 = np.floor(minx / LATTICE_DX) * LATTICE_DX - LATTICE_DX
        self.lat0 = np.floor(miny / LATTICE_DY) * LATTICE_DY - LATTICE_DY
        self.nx = int(np.ceil((maxx - self.lon0) / LATTICE_DX)) + 2
        self.ny = int(np.ceil((maxy - self.lat0) / LATTICE_DY)) + 2
        jj, ii = np.meshgrid(np.arange(self.ny), np.arange(self.nx), indexing="ij")
        self.ii, self.jj = ii.ravel(), jj.ravel()  # lattice node k = j * nx + i
        jitter = self.rng.uniform(-JITTER_DEG, JITTER_DEG, (len(self.ii), 2))
        self.lon = np.round(self.lon0 + self.ii * LATTICE_DX + jitter[:, 0], 7)
        self.lat = np.round(self.lat0 + self.jj * LATTICE_DY + jitter[:, 1], 7)
        self.mass = land.mass_of(self.lon, self.lat)
        self.district = land.district_index(self.lon, self.lat)
        self.counts: dict[str, int] = {}

    # lattice helpers
    def k(self, i, j):
        return np.asarray(j) * self.nx + np.asarray(i)

    def _edge_ok(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Both lattice nodes on the same land mass and the segment's midpoint on it too."""
        ma, mb = self.mass[a], self.mass[b]
        ok = (ma > 0) & (ma == mb)
        mid_lon = (self.lon[a] + self.lon[b]) / 2
        mid_lat = (self.lat[a] + self.lat[b]) / 2
        idx = np.flatnonzero(ok)
        ok[idx] = self.land.mass_of(mid_lon[idx], mid_lat[idx]) == ma[idx]
        return ok

    def density(self) -> np.ndarray:
        pop = self.population
        d = np.clip(self.district, 0, None)
        w = _kernel_weight(self.lon, self.lat, self.district, self.land.codes)
        dens = w * pop.scale[d] / pop.cell_km2
        dens[self.district < 0] = 0.0
        return dens

    def steps(self) -> np.ndarray:
        dens = self.density()
        step = np.full(len(dens), 8, dtype=np.int64)
        for threshold, s in reversed(DENSITY_STEPS):
            step[dens >= threshold] = s
        return step

    # 1. the street lattice
    def lattice_edges(self):
        step = self.steps()
        self.step = step
        edges = []  # (a, b, axis, line, pos)
        for axis in ("h", "v"):
            if axis == "h":
                sel = np.flatnonzero(self.ii < self.nx - 1)
                a, b = sel, sel + 1
                line, pos = self.jj[sel], self.ii[sel]
            else:
                sel = np.flatnonzero(self.jj < self.ny - 1)
                a, b = sel, sel + self.nx
                line, pos = self.ii[sel], self.jj[sel]
            m = np.minimum(step[a], step[b])
            active = (line % m) == 0
            a, b, line, pos, m = a[active], b[active], line[active], pos[active], m[active]
            ok = self._edge_ok(a, b)
            a, b, line, pos, m = a[ok], b[ok], line[ok], pos[ok], m[ok]
            urban = m <= 2
            cls = np.where(
                line % 8 == 0,
                np.where(urban, "secondary", "tertiary"),
                np.where(line % 4 == 0, np.where(urban, "tertiary", "unclassified"), "residential"),
            )
            edges.append((axis, a, b, line, pos, cls))
        self.grid = edges

    # 2. trunk roads
    def trunk_paths(self) -> list[tuple[str, str, list[int]]]:
        """Lattice paths of the TRUNK_LINKS: the digital straight line where it stays on land, else the
        shortest path over the land's 8-connected lattice."""
        xy = _to_m(self.lon, self.lat)
        on_land = np.flatnonzero(self.mass > 0)
        tree = cKDTree(xy[on_land])

        def snap(label):
            lon, lat = WAYPOINTS[label]
            mass = self.land.mass_of(np.array([lon]), np.array([lat]))[0]
            if mass == 0:
                raise RuntimeError(f"trunk waypoint {label} ({lon}, {lat}) is not on land")
            _, idx = tree.query(_to_m(lon, lat)[0], k=16)
            for cand in on_land[idx]:
                if self.mass[cand] == mass:
                    return int(cand)
            raise RuntimeError(f"no lattice node near trunk waypoint {label}")

        self.waypoint_node = {label: snap(label) for label in WAYPOINTS}
        graph = None
        paths = []
        detours = 0
        for a_label, b_label in TRUNK_LINKS:
            a, b = self.waypoint_node[a_label], self.waypoint_node[b_label]
            path = self._digital_line(a, b)
            if not self._edge_ok(np.array(path[:-1]), np.array(path[1:])).all():
                if graph is None:
                    graph = self._land_graph(xy)
                dist, pred = dijkstra(graph, directed=False, indices=a, return_predecessors=True)
                if not np.isfinite(dist[b]):
                    raise RuntimeError(f"trunk road {a_label}—{b_label} has no path over land")
                path = [b]
                while path[-1] != a:
                    path.append(int(pred[path[-1]]))
                path.reverse()
                detours += 1
            paths.append((a_label, b_label, self._interchanges(path, self.mass[a])))
        self.counts["trunk_detours"] = detours
        return paths

    def _land_graph(self, xy):
        """The 8-connected lattice on land (edges within one land mass), weighted by length."""
        rows, cols, weights = [], [], []
        for di, dj in ((1, 0), (0, 1), (1, 1), (-1, 1)):
            sel = np.flatnonzero(
                (self.ii + di >= 0) & (self.ii + di < self.nx) & (self.jj + dj < self.ny) & (self.mass > 0)
            )
            a, b = sel, sel + dj * self.nx + di
            ok = self._edge_ok(a, b)
            rows.append(a[ok])
            cols.append(b[ok])
            weights.append(np.hypot(*(xy[a[ok]] - xy[b[ok]]).T))
        rows, cols, weights = np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)
        n = len(self.lon)
        return coo_array((weights, (rows, cols)), shape=(n, n)).tocsr()

    def _interchanges(self, path: list[int], mass: int) -> list[int]:
        """The trunk road's nodes along a lattice path: its ends and where it meets a major street line
        (every 8th), so that it runs straight between junctions about a kilometre apart, crossing the
        streets in between on its own level; a straight piece that would leave land is split again."""
        land = self.land.island if mass == 1 else self.land.mainland
        p = np.asarray(path, dtype=np.int64)
        keep = sorted(
            {0, len(p) - 1, *np.flatnonzero((self.ii[p] % 8 == 0) | (self.jj[p] % 8 == 0)).tolist()}
        )
        out = [keep[0]]
        pending = keep[1:][::-1]
        while pending:
            end = pending[-1]
            start = out[-1]
            piece = shapely.LineString(
                [(self.lon[p[start]], self.lat[p[start]]), (self.lon[p[end]], self.lat[p[end]])]
            )
            if end - start > 1 and not land.contains(piece):
                pending.append((start + end) // 2)
                continue
            out.append(pending.pop())
        return [int(p[i]) for i in out]

    def _digital_line(self, a: int, b: int) -> list[int]:
        """Lattice nodes of the 8-connected digital straight line from a to b."""
        i0, j0, i1, j1 = int(self.ii[a]), int(self.jj[a]), int(self.ii[b]), int(self.jj[b])
        steps = max(abs(i1 - i0), abs(j1 - j0))
        if steps == 0:
            return [a]
        t = np.arange(steps + 1) / steps
        i = np.rint(i0 + t * (i1 - i0)).astype(np.int64)
        j = np.rint(j0 + t * (j1 - j0)).astype(np.int64)
        return [int(v) for v in self.k(i, j)]

    # 3. everything, in order
    def build(self, population: Population) -> tuple[_Network, dict]:
        self.population = population
        self.lattice_edges()
        edges: dict[tuple[int, int], dict] = {}
        for axis, a, b, line, pos, cls in self.grid:
            for aa, bb, ln, ps, cc in zip(
                a.tolist(), b.tolist(), line.tolist(), pos.tolist(), cls.tolist(), strict=True
            ):
                edges[(aa, bb)] = {"cls": cc, "group": (axis, ln), "pos": ps, "a": aa, "b": bb, "oneway": 0}
        for n, (a_label, b_label, path) in enumerate(self.trunk_paths()):
            for pos, (p, q) in enumerate(zip(path[:-1], path[1:], strict=True)):
                key = (min(p, q), max(p, q))
                if edges.get(key, {}).get("cls") == "trunk":
                    continue  # already part of an earlier trunk road
                edges[key] = {
                    "cls": "trunk",
                    "group": ("t", n, a_label, b_label),
                    "pos": pos,
                    "a": p,
                    "b": q,
                    "oneway": 0,
                }
        self._join_fragments(edges)
        self._oneway_streets(edges)
        net = _Network()
        net.next_id = len(self.lon)  # lattice node k is OSM node k + 1; new nodes come after
        replace = self._roundabouts(edges, net)
        self._ways(edges, net, replace)
        self._spurs(net)
        self._crossings(net)
        self.counts["oneway_reverted"] = _keep_strongly_connected(net)
        used = sorted({ref for _, refs in net.ways for ref in refs})
        self.counts["nodes"] = len(used)
        self.counts["ways"] = len(net.ways)
        return net, self.counts

    def _join_fragments(self, edges) -> None:
        """Join lattice pieces cut off by the coastline to the main piece of their land mass with a
        straight road over land, or drop them."""
        keys = np.array(list(edges), dtype=np.int64).reshape(-1, 2)
        n = len(self.lon)
        graph = coo_array((np.ones(len(keys)), (keys[:, 0], keys[:, 1])), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        used = np.unique(keys)
        xy = _to_m(self.lon, self.lat)
        joined = dropped = 0
        for mass, land in ((1, self.land.island), (2, self.land.mainland)):
            nodes = used[self.mass[used] == mass]
            comps, sizes = np.unique(labels[nodes], return_counts=True)
            main = comps[np.argmax(sizes)]
            main_nodes = nodes[labels[nodes] == main]
            tree = cKDTree(xy[main_nodes])
            drop: set[int] = set()
            for comp in comps[np.argsort(-sizes, kind="stable")]:
                if comp == main:
                    continue
                frag = nodes[labels[nodes] == comp]
                dist, idx = tree.query(xy[frag], k=min(4, len(main_nodes)))
                dist, idx = dist.reshape(len(frag), -1), idx.reshape(len(frag), -1)
                link = None
                for flat in np.argsort(dist, axis=None, kind="stable")[:64].tolist():
                    fi, ki = divmod(flat, dist.shape[1])
                    if dist[fi, ki] > CONNECT_MAX_M:
                        break
                    a, b = int(frag[fi]), int(main_nodes[idx[fi, ki]])
                    if land.contains(
                        shapely.LineString([(self.lon[a], self.lat[a]), (self.lon[b], self.lat[b])])
                    ):
                        link = (a, b)
                        break
                if link is None:
                    drop.update(frag.tolist())
                    dropped += 1
                    continue
                a, b = link
                edges[(min(a, b), max(a, b))] = {
                    "cls": "unclassified",
                    "group": ("c", a),
                    "pos": 0,
                    "a": a,
                    "b": b,
                    "oneway": 0,
                }
                joined += 1
            for key in [key for key in edges if key[0] in drop]:
                del edges[key]
        self.counts["fragments_joined"] = joined
        self.counts["fragments_dropped"] = dropped

    def _degree(self, edges) -> np.ndarray:
        keys = np.array(list(edges), dtype=np.int64).reshape(-1, 2)
        return np.bincount(keys.ravel(), minlength=len(self.lon))

    def _grid_neighbours(self, edges, k: int) -> dict[str, tuple[int, int]]:
        i, j = int(self.ii[k]), int(self.jj[k])
        out = {}
        for name, (di, dj) in (("E", (1, 0)), ("N", (0, 1)), ("W", (-1, 0)), ("S", (0, -1))):
            other = int(self.k(i + di, j + dj))
            key = (min(k, other), max(k, other))
            if key in edges:
                out[name] = key
        return out

    def _oneway_streets(self, edges) -> None:
        """Pairs of one-way residential streets (alternate directions, row by row and column by column)
        in the ONEWAY_CORES, on edges whose both ends are full crossroads."""
        degree = self._degree(edges)
        xy = _to_m(self.lon, self.lat)
        centres = np.array([_to_m(*WAYPOINTS[label])[0] for label in ONEWAY_CORES])
        count = 0
        for key, e in edges.items():
            axis, line = e["group"][0], e["group"][1]
            if axis not in ("h", "v") or e["cls"] != "residential" or line % 4 != 2:
                continue
            a, b = key
            if degree[a] != 4 or degree[b] != 4 or self.step[a] != 1 or self.step[b] != 1:
                continue
            if np.hypot(*(centres - xy[a]).T).min() > ONEWAY_RADIUS_KM * 1000:
                continue
            e["oneway"] = 1 if (line // 4) % 2 == 0 else -1
            count += 1
        self.counts["oneway_edges"] = count

    def _roundabouts(self, edges, net: _Network) -> dict[tuple[int, int], dict[int, int]]:
        """Replace a few secondary crossroads in the cores by counter-clockwise roundabouts; returns, per
        edge key, the ring node that stands for the replaced lattice node."""
        degree = self._degree(edges)
        xy = _to_m(self.lon, self.lat)
        cands = []
        for k in np.flatnonzero((degree == 4) & (self.step == 1)).tolist():
            nb = self._grid_neighbours(edges, k)
            if len(nb) != 4:
                continue
            classes = {edges[key]["cls"] for key in nb.values()}
            one_way = any(edges[key]["oneway"] for key in nb.values())
            if classes <= {"secondary", "tertiary"} and "secondary" in classes and not one_way:
                cands.append(k)
        chosen: list[int] = []
        for k in self.rng.permutation(np.array(cands, dtype=np.int64)).tolist():
            if len(chosen) >= ROUNDABOUTS:
                break
            if all(np.hypot(*(xy[k] - xy[c])) > 2500 for c in chosen):
                chosen.append(k)
        replace: dict[tuple[int, int], dict[int, int]] = {}
        self.rings = []
        for n, k in enumerate(sorted(chosen), 1):
            nb = self._grid_neighbours(edges, k)
            lon, lat = float(self.lon[k]), float(self.lat[k])
            dlat = ROUNDABOUT_RADIUS_M / M_PER_DEG_LAT
            dlon = ROUNDABOUT_RADIUS_M / (M_PER_DEG_LON_EQ * np.cos(np.radians(lat)))
            ring = [
                net.add_node(
                    round(lon + dlon * np.cos(np.pi / 4 * s), 7), round(lat + dlat * np.sin(np.pi / 4 * s), 7)
                )
                for s in range(8)  # counter-clockwise from east: traffic keeps right
            ]
            for name, idx in (("E", 0), ("N", 2), ("W", 4), ("S", 6)):
                replace.setdefault(nb[name], {})[k] = ring[idx]
            cls = max((edges[key]["cls"] for key in nb.values()), key=CLASS_RANK.get)
            name = f"{self._district_short(k)}演示环岛{n}号{SUFFIX}"
            self.rings.append((_tags(cls, name, None, junction="roundabout"), [*ring, ring[0]]))
        self.counts["roundabouts"] = len(self.rings)
        return replace

    def _district_short(self, k: int) -> str:
        d = int(self.district[k])
        return SHORT[self.land.codes[d]] if d >= 0 else "厦门"

    def _ways(self, edges, net: _Network, replace) -> None:
        """Ways: runs of consecutive edges of one line (or trunk road) with the same class and direction;
        a run breaks at a roundabout, a gap, or MAX_WAY_SEGMENTS."""

        def osm(k, key):
            return replace.get(key, {}).get(k, k + 1)

        groups: dict[tuple, list] = {}
        for key, e in edges.items():
            u, v = osm(e["a"], key), osm(e["b"], key)
            groups.setdefault((e["group"], e["cls"], e["oneway"]), []).append((e["pos"], u, v, e["a"]))
        trunk_ways = oneway_ways = 0
        for (group, cls, oneway), items in sorted(groups.items(), key=lambda kv: repr(kv[0])):
            items.sort()
            runs: list[tuple[int, list[int]]] = []  # (first lattice node, OSM node ids)
            last = None
            for pos, u, v, a in items:
                if runs and runs[-1][1][-1] == u and pos == last + 1 and len(runs[-1][1]) <= MAX_WAY_SEGMENTS:
                    runs[-1][1].append(v)
                else:
                    runs.append((a, [u, v]))
                last = pos
            kind = group[0]
            for first, nodes in runs:
                if oneway == -1:
                    nodes = nodes[::-1]
                if kind in ("h", "v"):
                    axis = "横" if kind == "h" else "纵"
                    name = f"{self._district_short(first)}{axis}{group[1]}{CLASS_TAGS[cls][1]}{SUFFIX}"
                elif kind == "t":
                    a_label, b_label = (label.split("（")[0] for label in group[2:4])
                    name = f"{a_label}—{b_label}{CLASS_TAGS['trunk'][1]}{SUFFIX}"
                    trunk_ways += 1
                else:
                    name = f"{self._district_short(first)}连接路{SUFFIX}"
                net.ways.append((_tags(cls, name, "yes" if oneway else "no"), nodes))
                oneway_ways += bool(oneway)
        net.ways.extend(self.rings)
        for _, refs in net.ways:
            for ref in refs:
                if ref not in net.node_lon:  # a lattice node
                    net.node_lon[ref] = float(self.lon[ref - 1])
                    net.node_lat[ref] = float(self.lat[ref - 1])
        self.counts["trunk_ways"] = trunk_ways
        self.counts["oneway_ways"] = oneway_ways

    def _spurs(self, net: _Network) -> None:
        """A short road from the network to every community point farther than SPUR_MIN_M from it
        (over land), so that snapping works and the resources placed there are reachable."""
        ids = np.array(sorted(net.node_lon), dtype=np.int64)
        lon = np.array([net.node_lon[i] for i in ids])
        lat = np.array([net.node_lat[i] for i in ids])
        mass = self.land.mass_of(lon, lat)
        xy = _to_m(lon, lat)
        trees = {m: (ids[mass == m], cKDTree(xy[mass == m])) for m in (1, 2)}
        points = self.land.community_xy
        point_mass = self.land.mass_of(points[:, 0], points[:, 1]) if len(points) else np.zeros(0)
        added = unreached = 0
        for (px, py), m, full_name in zip(points, point_mass, self.land.community_names, strict=True):
            if m == 0:
                unreached += 1
                continue
            node_ids, tree = trees[int(m)]
            dist, idx = tree.query(_to_m(px, py)[0], k=8)
            if dist[0] <= SPUR_MIN_M:
                continue
            land = self.land.island if m == 1 else self.land.mainland
            for d, i in zip(dist, idx, strict=True):
                target = int(node_ids[i])
                line = shapely.LineString([(px, py), (net.node_lon[target], net.node_lat[target])])
                if d <= CONNECT_MAX_M and land.contains(line):
                    new = net.add_node(round(float(px), 7), round(float(py), 7))
                    cls = "residential" if d < 1000 else "unclassified"
                    name = f"{_short_name(full_name)}支路{SUFFIX}"
                    net.ways.append((_tags(cls, name), [target, new]))
                    added += 1
                    break
            else:
                unreached += 1
        self.counts["spurs"] = added
        self.counts["communities_unreached"] = unreached

    def _crossings(self, net: _Network) -> None:
        """The five island–mainland links: a two-way trunk way, or two one-way motorway carriageways."""
        made = 0
        for c in CROSSINGS:
            a = self.waypoint_node[c.name + "（岛）"] + 1
            b = self.waypoint_node[c.name + "（陆）"] + 1
            pa = _to_m(net.node_lon[a], net.node_lat[a])[0]
            pb = _to_m(net.node_lon[b], net.node_lat[b])[0]
            length = float(np.hypot(*(pb - pa)))
            n = max(2, int(np.ceil(length / CROSSING_NODE_SPACING_M)))
            tags = {
                "highway": c.highway,
                "name": c.name,
                "name:en": c.name_en,
                "maxspeed": CROSSING_MAXSPEED,
                "note": NOTE,
                c.structure: "yes",
                "layer": "1" if c.structure == "bridge" else "-1",
            }
            t = np.arange(1, n) / n
            la, pa_lat = net.node_lon[a], net.node_lat[a]
            lb, pb_lat = net.node_lon[b], net.node_lat[b]
            lons, lats = la + t * (lb - la), pa_lat + t * (pb_lat - pa_lat)
            if c.highway == "motorway":  # two carriageways, each on its own right-hand side
                d = (pb - pa) / length
                right = np.array([d[1], -d[0]]) * CARRIAGEWAY_OFFSET_M
                dlon = right[0] / (M_PER_DEG_LON_EQ * np.cos(np.radians(REF_LAT)))
                dlat = right[1] / M_PER_DEG_LAT
                fwd = [
                    net.add_node(round(x + dlon, 7), round(y + dlat, 7))
                    for x, y in zip(lons, lats, strict=True)
                ]
                bwd = [
                    net.add_node(round(x - dlon, 7), round(y - dlat, 7))
                    for x, y in zip(lons, lats, strict=True)
                ]
                net.ways.append(({**tags, "oneway": "yes"}, [a, *fwd, b]))
                net.ways.append(({**tags, "oneway": "yes"}, [b, *bwd[::-1], a]))
            else:
                mid = [net.add_node(round(x, 7), round(y, 7)) for x, y in zip(lons, lats, strict=True)]
                net.ways.append(({**tags, "oneway": "no"}, [a, *mid, b]))
            made += 1
        self.counts["crossings"] = made


def _short_name(name: str) -> str:
    for ending in ("社区居民委员会", "社区居委会", "村民委员会", "居委会", "村委会", "委员会"):
        if name.endswith(ending):
            return name[: -len(ending)] + ("社区" if "社区" in ending or "居" in ending else "村")
    return name


def _directed_edges(net: _Network):
    """(src, dst) node id arrays of the ways as the road import reads them (oneway, roundabouts)."""
    src, dst = [], []
    for tags, refs in net.ways:
        oneway = tags.get("oneway")
        forward_only = oneway == "yes" or (
            oneway is None and (tags.get("junction") == "roundabout" or tags["highway"] == "motorway")
        )
        a, b = refs[:-1], refs[1:]
        src.extend(a)
        dst.extend(b)
        if not forward_only:
            src.extend(b)
            dst.extend(a)
    return np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)


def _strong_components(net: _Network):
    src, dst = _directed_edges(net)
    n = int(max(src.max(), dst.max())) + 1
    graph = coo_array((np.ones(len(src)), (src, dst)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="strong")
    used = np.unique(np.concatenate([src, dst]))
    main = np.bincount(labels[used]).argmax()
    return labels, main


def _keep_strongly_connected(net: _Network) -> int:
    """Make two-way any one-way street that leaves nodes outside the largest strongly connected
    component (a dead end reached one way); returns how many were changed."""
    changed = 0
    for _attempt in range(5):
        labels, main = _strong_components(net)
        bad = 0
        for tags, refs in net.ways:
            if tags.get("oneway") != "yes" or tags["highway"] == "motorway":
                continue
            if any(labels[r] != main for r in refs):
                tags["oneway"] = "no"
                bad += 1
        changed += bad
        if not bad:
            break
    return changed


def synthetic_roads(land: Land, seed: int = SEED) -> tuple[_Network, dict]:
    builder = _Builder(land, seed)
    net, counts = builder.build(synthetic_population(land, seed))
    labels, main = _strong_components(net)
    used = np.unique([r for _, refs in net.ways for r in refs])
    counts["outside_main_component"] = int(np.count_nonzero(labels[used] != main))
    return net, counts


def write_demo_pbf(path, seed: int = SEED, land: Land | None = None) -> dict:
    """Write the synthetic road network as an OSM PBF; returns counts (nodes, ways, crossings, …)."""
    import osmium
    from osmium.osm.mutable import Node, Way

    land = land or load_land()
    net, counts = synthetic_roads(land, seed)
    used = sorted({ref for _, refs in net.ways for ref in refs})
    header = osmium.io.Header()
    header.set("generator", f"CityWatch demo roads v{VERSION} (synthetic, seed {seed})")
    writer = osmium.SimpleWriter(str(path), overwrite=True, header=header)
    try:
        for ref in used:
            writer.add_node(Node(id=ref, location=(net.node_lon[ref], net.node_lat[ref])))
        for way_id, (tags, refs) in enumerate(net.ways, start=1):
            writer.add_way(Way(id=way_id, nodes=refs, tags=tags))
    finally:
        writer.close()
    return counts


# --- loading --------------------------------------------------------------------------------------


def demo_dir() -> Path:

    return Path(settings.DATA_DIR) / "demo"


def _tiles_stale(kind: str) -> bool:
    """True when the published version of ``kind`` has basemap tiles of another format than this
    code cuts (so the same file is imported again)."""
    from citywatch.geo.tiles import TILES_FORMAT

    current = store.current_manifest(store.kind_dir(kind))
    tiles = current[1].get("tiles") if current else None
    return not isinstance(tiles, dict) or tiles.get("format") != TILES_FORMAT


def _published_sources(kind: str) -> list[dict] | None:
    """The source files recorded in the published manifest of ``kind`` (None: nothing published)."""
    current = store.current_manifest(store.kind_dir(kind))
    if current is None:
        return None
    manifest = current[1]
    sources = manifest.get("sources") or ([manifest["source"]] if manifest.get("source") else [])
    return [s for s in sources if isinstance(s, dict)]


def _load_one(kind: str, write, file_name: str, seed: int, land: Land) -> dict:
    """Generate one file, then import it unless the published version is exactly it, or was imported
    from another (real) file."""
    directory = demo_dir()
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / file_name
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix="-" + file_name, dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        info = write(tmp, seed, land=land)
        digest = store.sha256_file(tmp)
        os.chmod(tmp, 0o644)  # noqa: S103  (mkstemp made it private; it is a public demo file)
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    out = {"file": str(final), "sha256": digest}
    out.update(info if isinstance(info, dict) else {"total": info})
    sources = _published_sources(kind)
    same = sources and [s.get("sha256") for s in sources] == [digest]
    if same and not (kind == "roads" and _tiles_stale(kind)):
        return {**out, "imported": False, "status": "unchanged"}
    if sources and any(s.get("name") != file_name for s in sources):
        names = ", ".join(str(s.get("name")) for s in sources)
        return {**out, "imported": False, "status": "kept", "kept": names}
    try:
        report = IMPORTERS[kind].run([final], synthetic=True)
    except ImportFailed as exc:
        problems = "; ".join(str(p) for p in exc.report.problems)
        raise RuntimeError(f"the synthetic {kind} file did not import: {problems}") from None
    return {**out, "imported": True, "status": "imported", "notes": list(report.notes)}


def load_demo_land() -> dict:
    """Import the land and sea around Xiamen shipped with the demo (``data/xiamen/land.geojson``, see its
    PROVENANCE.md) unless it is the land published already, or land was imported from another file."""
    digest = store.sha256_file(LAND_FILE)
    sources = _published_sources("land")
    out = {"file": str(LAND_FILE), "sha256": digest}
    if sources and [s.get("sha256") for s in sources] == [digest] and not _tiles_stale("land"):
        return {**out, "imported": False, "status": "unchanged"}
    if sources and any(s.get("name") != LAND_FILE.name for s in sources):
        names = ", ".join(str(s.get("name")) for s in sources)
        return {**out, "imported": False, "status": "kept", "kept": names}
    try:
        report = IMPORTERS["land"].run([LAND_FILE])
    except ImportFailed as exc:
        problems = "; ".join(str(p) for p in exc.report.problems)
        raise RuntimeError(f"the demo land file did not import: {problems}") from None
    return {**out, "imported": True, "status": "imported", "notes": list(report.notes)}


def load_demo_geo(seed: int = SEED) -> dict:
    """Write the synthetic road network and population grid to ``DATA_DIR/demo/`` and import them
    through the real importers; a second call with the same seed and boundaries imports nothing.

    A road graph or population grid imported from another file (a real extract) is left in place."""
    started = time.perf_counter()
    land = load_land()
    result = {
        "roads": _load_one("roads", write_demo_pbf, ROADS_FILE, seed, land),
        "population": _load_one("population", write_demo_population_csv, POPULATION_FILE, seed, land),
    }
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def _status(part: dict) -> str:
    """What the load did with one file, in the operator's language."""
    if part.get("status") == "kept":
        return gettext("kept %(names)s, imported from another file") % {"names": part.get("kept", "")}
    return str(STATUS_NAMES.get(part.get("status"), part.get("status", "")))


STATUS_NAMES = {"imported": gettext_lazy("imported"), "unchanged": gettext_lazy("unchanged")}


def summary(result: dict) -> str:
    """One line for the demo command, in the site's language (Django i18n)."""
    if not result:
        return ""
    roads, pop = result["roads"], result["population"]
    line = gettext(
        "Synthetic roads: %(nodes)s nodes, %(ways)s ways, %(crossings)s island crossings (%(roads)s); "
        "synthetic population: %(persons)s persons (%(population)s); %(seconds)s s"
    ) % {
        "nodes": f"{roads['nodes']:,}",
        "ways": f"{roads['ways']:,}",
        "crossings": roads["crossings"],
        "roads": _status(roads),
        "persons": f"{pop['total']:,}",
        "population": _status(pop),
        "seconds": f"{result['seconds']:.1f}",
    }
    if result.get("land"):
        line += gettext("; land and sea around Xiamen (%(status)s)") % {"status": _status(result["land"])}
    return line
