"""Travel times on the road graph: nearest by time, routes and isochrones; an estimate without a graph.

Direction rule
    Teams and depots travel TO an incident: ``direction="to"`` ranks candidates by the time from each
    candidate to the origin, which is one Dijkstra from the origin on the *reversed* graph (one-way
    streets are followed legally, in their own direction). Shelters and medical facilities are where
    people are taken FROM the incident: ``direction="from"`` is one Dijkstra from the origin on the
    forward graph.

Snapping
    A point joins the network at the nearest node of the largest strongly connected component (so
    every snapped pair is mutually reachable); the straight-line snap distance is reported, and a point
    farther than ``snap_limit_m`` (default 2 km) is off-network. The legs between a point and its node
    are added to the ETA at ``access_speed_kmh`` (default 20 km/h) and to the distance in metres.

Bounded, exact ranking
    ``nearest_by_time`` runs ``scipy.sparse.csgraph.dijkstra`` with ``limit=L`` (nodes farther than
    ``L`` seconds are never settled). It starts from a small ``L`` guessed from the straight-line
    distance of the k-th nearest candidate and multiplies it by 2.5 until at least ``limit``
    candidates (or all of them) have a total time ≤ ``L`` (or ``L`` reaches ``max_seconds``). Every
    candidate not yet found then has a time > ``L``, so the ``limit`` best found are exactly the
    ``limit`` best a full Dijkstra would rank (ties broken by candidate index), at the cost of the area
    actually needed.

Groups: one search for several rankings
    With ``groups`` (an integer label per candidate: say, one per resource kind) ``limit`` applies to
    each group: the answer holds the ``limit`` fastest of every group, exactly what one call per group
    would answer, from one Dijkstra. The bound starts from the largest of the groups' guesses and
    widens until every group has its ``limit`` (or all its candidates) within it, so the search costs
    about as much as the largest of the per-group searches instead of their sum.

Road distance
    ``distance_m`` is the length of the returned shortest-time path: the predecessor chains of the
    ``limit`` results are walked together (one vectorised step per hop of the longest result path, so
    the work is proportional to the answer, never to the graph), and the edges' stored lengths summed.

Estimated mode (no road graph published, or the origin is off-network)
    ETA = great-circle distance × ``detour_factor`` (1.3) / ``fallback_speed_kmh`` (40 km/h),
    ``eta_method="estimated"`` and ``distance_method="straight_line"``; same functions, same shapes.

Isochrone method
    Dijkstra bounded by the time budget; every edge leaving a reached node is drawn as far along as the
    remaining time allows (a partial edge ends where the budget runs out). The segments are sampled onto
    a raster in a local equirectangular projection (cell = buffer / 3, at most 4 million cells), the
    raster is buffered by ``buffer_m`` (default 150 m) with an exact Euclidean distance transform,
    polygonised (GDAL, via rasterio) and simplified by half a cell. The result is a road-hugging,
    concave shape (bays between roads farther apart than twice the buffer stay out), computed in
    time proportional to the reached area. Estimated mode gives a circle of radius
    speed × time / detour.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np
import shapely
from scipy.sparse.csgraph import breadth_first_order, dijkstra

from citywatch.geo.distance import (
    LocalProjection,
    PointIndex,
    as_lonlat_array,
    chord_to_m,
    haversine_m,
    unit_vectors,
)
from citywatch.geo.routing.graph import RoadGraph
from citywatch.geo.routing.results import ESTIMATED, ROAD, STRAIGHT_LINE, Hit, Isochrone, Nearest, Route, Snap

DIRECTIONS = {"to": "rev", "from": "fwd"}
DEFAULT_SNAP_LIMIT_M = 2000.0
DEFAULT_DETOUR_FACTOR = 1.3
DEFAULT_FALLBACK_SPEED_KMH = 40.0
DEFAULT_ACCESS_SPEED_KMH = 20.0
DEFAULT_ISOCHRONE_BUFFER_M = 150.0
GROWTH = 2.5
MIN_BOUND_S = 60.0
MAX_RASTER_CELLS = 4_000_000
CANDIDATE_CACHE_SIZE = 8


class RoutingError(ValueError):
    """Bad input to the engine (a clear message, nothing computed)."""


def _valid(lonlat: np.ndarray) -> np.ndarray:
    return np.isfinite(lonlat).all(axis=1) & (np.abs(lonlat[:, 0]) <= 180) & (np.abs(lonlat[:, 1]) <= 90)


def _point(value) -> np.ndarray:
    try:
        pt = as_lonlat_array(value)
    except ValueError as exc:
        raise RoutingError(str(exc)) from None
    if len(pt) != 1 or not _valid(pt)[0]:
        raise RoutingError(f"not a valid (lon, lat) point: {value!r}")
    return pt[0]


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + c)`` for each pair, without a Python loop."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.asarray(starts, dtype=np.int64) - np.cumsum(counts) + counts, counts)
    return offsets + np.arange(total, dtype=np.int64)


class Candidates:
    """Candidate points prepared once for many queries: validated and snapped to the network.

    Build with ``engine.prepare_candidates(lonlat)`` and pass it instead of the array when the same
    resources are ranked again and again (the engine also keeps the last few arrays it saw)."""

    def __init__(self, engine: TravelTimeEngine, lonlat):
        try:
            self.lonlat = np.ascontiguousarray(as_lonlat_array(lonlat))
        except ValueError as exc:
            raise RoutingError(str(exc)) from None
        self.size = len(self.lonlat)
        self.graph_id = engine.graph_id
        valid = _valid(self.lonlat)
        if engine.graph is not None:
            self.nodes, self.snap_m = engine.graph.snap(self.lonlat)
            self.on_network = valid & (self.snap_m <= engine.snap_limit_m)
        else:
            self.nodes = np.full(self.size, -1, dtype=np.int64)
            self.snap_m = np.full(self.size, np.nan)
            self.on_network = valid
        self.index = np.flatnonzero(self.on_network)
        self.off_network = np.flatnonzero(~self.on_network)
        self.node_on = self.nodes[self.index]
        self.access_s_on = (
            self.snap_m[self.index] / (engine.access_speed_kmh / 3.6) if engine.graph is not None else None
        )
        self._tree: PointIndex | None = None
        self._group_trees: dict[bytes, list[PointIndex | None]] = {}

    def straight_line_kth_m(self, origin: np.ndarray, k: int) -> float:
        """Great-circle distance from ``origin`` to the k-th nearest usable candidate."""
        if len(self.index) == 0:
            return np.inf
        if self._tree is None:
            self._tree = PointIndex(self.lonlat[self.index])
        dist, _ = self._tree.nearest(origin, k=min(k, len(self.index)))
        return float(dist[0, -1])

    def straight_line_kth_m_by_group(self, origin: np.ndarray, k: int, groups: Groups) -> np.ndarray:
        """For each group, the great-circle distance from ``origin`` to its k-th nearest usable candidate
        (its farthest when it has fewer; ``nan`` when it has none)."""
        trees = self._group_trees.get(groups.key)
        if trees is None:
            on = groups.on_network
            trees = [
                PointIndex(self.lonlat[self.index[on == g]]) if groups.on_sizes[g] else None
                for g in range(groups.count)
            ]
            if len(self._group_trees) >= CANDIDATE_CACHE_SIZE:
                self._group_trees = {}  # a new dict, not a mutation: other threads may be reading
            self._group_trees[groups.key] = trees
        # One k-d tree query per group (a handful of kinds), the origin's unit vector computed once and
        # the chords converted together: the same figures as ``PointIndex.nearest`` per group.
        vector = unit_vectors(origin[0:1], origin[1:2])
        chords = np.full(groups.count, np.nan)
        for g, tree in enumerate(trees):
            if tree is not None:
                chord, _ = tree.tree.query(vector, k=min(k, tree.size))
                chords[g] = np.asarray(chord).reshape(-1)[-1]
        present = ~np.isnan(chords)
        chords[present] = chord_to_m(chords[present])
        return chords


class Groups:
    """Group labels of a candidate set (``0 … count-1`` per candidate), with the usable ones' labels."""

    def __init__(self, cands: Candidates, labels):
        self.candidates = cands
        labels = np.asarray(labels)
        if labels.shape != (cands.size,) or (labels.size and not np.issubdtype(labels.dtype, np.integer)):
            raise RoutingError("groups must give one integer label per candidate")
        if labels.size and labels.min() < 0:
            raise RoutingError("group labels must not be negative")
        self.labels = labels.astype(np.int64)
        self.count = int(self.labels.max()) + 1 if self.labels.size else 0
        self.key = hashlib.blake2b(self.labels.tobytes(), digest_size=16).digest()
        self.on_network = self.labels[cands.index]
        self.on_sizes = np.bincount(self.on_network, minlength=self.count)

    @staticmethod
    def first(order: np.ndarray, labels: np.ndarray, limit: int | None) -> np.ndarray:
        """The entries of ``order`` (fastest first, with their ``labels``) that are among the first
        ``limit`` of their group."""
        if limit is None or not len(order):
            return order
        by_group = np.argsort(labels, kind="stable")
        sorted_labels = labels[by_group]
        starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
        sizes = np.diff(np.r_[starts, len(sorted_labels)])
        rank = np.empty(len(order), dtype=np.int64)
        rank[by_group] = np.arange(len(order)) - np.repeat(starts, sizes)
        return order[rank < limit]


class TravelTimeEngine:
    """Travel-time queries over one road graph, or estimates when ``graph`` is None."""

    def __init__(
        self,
        graph: RoadGraph | None = None,
        *,
        snap_limit_m: float = DEFAULT_SNAP_LIMIT_M,
        detour_factor: float = DEFAULT_DETOUR_FACTOR,
        fallback_speed_kmh: float = DEFAULT_FALLBACK_SPEED_KMH,
        access_speed_kmh: float = DEFAULT_ACCESS_SPEED_KMH,
    ):
        if snap_limit_m <= 0 or detour_factor <= 0 or fallback_speed_kmh <= 0 or access_speed_kmh <= 0:
            raise RoutingError("snap limit, detour factor and speeds must be positive")
        self.graph = graph if graph is not None and len(graph.main_nodes) else None
        self.snap_limit_m = float(snap_limit_m)
        self.detour_factor = float(detour_factor)
        self.fallback_speed_kmh = float(fallback_speed_kmh)
        self.access_speed_kmh = float(access_speed_kmh)
        self._cache: OrderedDict[tuple, Candidates] = OrderedDict()
        self._cache_lock = threading.Lock()

    @property
    def mode(self) -> str:
        return ROAD if self.graph is not None else ESTIMATED

    @property
    def graph_id(self) -> str | None:
        return self.graph.graph_id if self.graph is not None else None

    # --- helpers -------------------------------------------------------------------------------
    def prepare_candidates(self, lonlat) -> Candidates:
        return Candidates(self, lonlat)

    @staticmethod
    def prepare_groups(candidates: Candidates, labels) -> Groups:
        """Group labels of prepared candidates, checked and counted once (``nearest_by_time(groups=…)``)."""
        return Groups(candidates, labels)

    def _candidates(self, candidates) -> Candidates:
        if isinstance(candidates, Candidates):
            if candidates.graph_id != self.graph_id:
                raise RoutingError("candidates were prepared for another road graph; prepare them again")
            return candidates
        arr = np.ascontiguousarray(np.asarray(candidates, dtype=float))
        key = (arr.shape, hashlib.blake2b(arr.tobytes(), digest_size=16).digest())
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        prepared = Candidates(self, arr)
        with self._cache_lock:
            self._cache[key] = prepared
            while len(self._cache) > CANDIDATE_CACHE_SIZE:
                self._cache.popitem(last=False)
        return prepared

    def snap_point(self, lonlat) -> Snap:
        pt = _point(lonlat)
        if self.graph is None:
            return Snap(float(pt[0]), float(pt[1]), None, None, False)
        nodes, dist = self.graph.snap(pt.reshape(1, 2))
        d = float(dist[0])
        return Snap(float(pt[0]), float(pt[1]), int(nodes[0]), d, d <= self.snap_limit_m)

    def estimate_seconds(self, metres):
        return np.asarray(metres, dtype=float) * self.detour_factor / (self.fallback_speed_kmh / 3.6)

    def _access_s(self, metres):
        return np.asarray(metres, dtype=float) / (self.access_speed_kmh / 3.6)

    @staticmethod
    def _direction(direction: str) -> str:
        if direction not in DIRECTIONS:
            raise RoutingError('direction must be "to" (resources travel to the origin) or "from"')
        return DIRECTIONS[direction]

    # --- nearest by time -----------------------------------------------------------------------
    def nearest_by_time(
        self,
        origin_lonlat,
        candidates_lonlat,
        direction: str = "to",
        max_seconds: float = 3600.0,
        limit: int | None = 20,
        *,
        road_distance: bool = True,
        groups=None,
    ) -> Nearest:
        """The ``limit`` candidates with the shortest travel time (``None``: all within ``max_seconds``).

        ``direction="to"``: from each candidate to the origin (teams, depots → incident);
        ``direction="from"``: from the origin to each candidate (incident → shelters, hospitals).
        ``groups``: an integer label per candidate; ``limit`` then applies to each group (the answer
        is what one call per group would give, fastest first, from one search), or those labels
        prepared once (``prepare_groups``). ``origin_lonlat`` may be this engine's ``snap_point`` of the
        origin (a ``Snap``), so that a caller asking several questions about one point snaps it once."""
        graph_dir = self._direction(direction)
        if not max_seconds > 0:
            raise RoutingError("max_seconds must be positive")
        if limit is not None and int(limit) < 1:
            raise RoutingError("limit must be at least 1")
        limit = None if limit is None else int(limit)
        cands = self._candidates(candidates_lonlat)
        if isinstance(groups, Groups):
            if groups.candidates is not cands:
                raise RoutingError("groups were prepared for other candidates")
            labels = groups
        else:
            labels = None if groups is None else Groups(cands, groups)
        origin = origin_lonlat if isinstance(origin_lonlat, Snap) else self.snap_point(origin_lonlat)
        if self.graph is None or not origin.on_network:
            return self._nearest_estimated(origin, cands, direction, float(max_seconds), limit, labels)
        return self._nearest_road(
            origin, cands, direction, graph_dir, float(max_seconds), limit, road_distance, labels
        )

    def _nearest_estimated(
        self, origin: Snap, cands: Candidates, direction, max_seconds, limit, groups: Groups | None = None
    ) -> Nearest:
        valid = _valid(cands.lonlat)
        idx = np.flatnonzero(valid)
        metres = haversine_m(origin.lon, origin.lat, cands.lonlat[idx, 0], cands.lonlat[idx, 1])
        eta = self.estimate_seconds(metres)
        keep = np.flatnonzero(eta <= max_seconds)
        order = keep[np.lexsort((idx[keep], eta[keep]))]
        if groups is not None:
            order = groups.first(order, groups.labels[idx[order]], limit)
        elif limit is not None:
            order = order[:limit]
        results = [
            Hit(int(i), float(t), float(m), STRAIGHT_LINE, ESTIMATED, None)
            for i, t, m in zip(idx[order], eta[order], metres[order], strict=True)
        ]
        return Nearest(
            direction, max_seconds, limit, ESTIMATED, origin, results, np.flatnonzero(~valid).tolist()
        )

    def _nearest_road(
        self, origin, cands, direction, graph_dir, max_seconds, limit, road_distance, groups=None
    ) -> Nearest:
        graph = self.graph
        source = origin.node
        origin_access = float(self._access_s(origin.distance_m))
        budget = max_seconds - origin_access
        matrix = graph.csr(graph_dir)
        cidx, cnode, caccess = cands.index, cands.node_on, cands.access_s_on
        results: list[Hit] = []
        if budget >= 0 and len(cidx):
            here = np.array([origin.lon, origin.lat])
            if limit is None:
                bound = budget
            elif groups is None:
                kth = cands.straight_line_kth_m(here, limit)
                bound = min(budget, MIN_BOUND_S + 1.5 * kth / graph.typical_speed_m_s)
            else:
                kth = np.nanmax(cands.straight_line_kth_m_by_group(here, limit, groups))
                bound = min(budget, MIN_BOUND_S + 1.5 * kth / graph.typical_speed_m_s)
            # Enough found: ``limit`` (or every usable candidate) in each group.
            sizes = len(cidx) if groups is None else groups.on_sizes
            need = None if limit is None else np.minimum(limit, sizes)
            while True:
                dist, pred = dijkstra(
                    matrix, directed=True, indices=source, limit=bound, return_predecessors=True
                )
                total = dist[cnode] + caccess
                found = np.flatnonzero(total <= bound)
                if bound >= budget or (need is not None and self._enough(found, need, groups)):
                    break
                bound = min(budget, bound * GROWTH)
            order = found[np.lexsort((cidx[found], total[found]))]
            if groups is not None:
                order = groups.first(order, groups.on_network[order], limit)
            elif limit is not None:
                order = order[:limit]
            nodes = cnode[order]
            if road_distance:
                metres = self._path_lengths(graph_dir, pred, source, nodes)
                dmethod = ROAD
            else:
                metres = haversine_m(
                    origin.lon, origin.lat, cands.lonlat[cidx[order], 0], cands.lonlat[cidx[order], 1]
                )
                dmethod = STRAIGHT_LINE
            if road_distance:
                metres = metres + origin.distance_m + cands.snap_m[cidx[order]]
            eta = total[order] + origin_access
            snaps = cands.snap_m[cidx[order]]
            results = [
                Hit(int(i), float(t), float(m), dmethod, ROAD, float(s))
                for i, t, m, s in zip(cidx[order], eta, metres, snaps, strict=True)
            ]
        return Nearest(direction, max_seconds, limit, ROAD, origin, results, cands.off_network.tolist())

    @staticmethod
    def _enough(found: np.ndarray, need, groups: Groups | None) -> bool:
        if groups is None:
            return len(found) >= need
        return bool((np.bincount(groups.on_network[found], minlength=groups.count) >= need).all())

    def _path_lengths(self, graph_dir: str, pred: np.ndarray, source: int, nodes: np.ndarray) -> np.ndarray:
        """Length of the tree path source → node for each node (predecessor chains walked together).

        Every chain takes one step per hop (a finished chain stays at the source: its parent is set to
        itself), so a hop costs one indexing, and whether all are done is checked every few hops; the
        edges walked are then looked up at once (the source's self-steps dropped)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        if not len(nodes):
            return np.zeros(0)
        up = pred.astype(np.int64)
        up[source] = source
        steps = [nodes]
        cur = nodes
        for hop in range(1, self.graph.n_nodes + 1):
            cur = up[cur]
            steps.append(cur)
            if hop % 8 == 0 and (cur == source).all():
                break
        walked = np.stack(steps)  # (hops + 1, len(nodes)): row h is each chain's node after h hops
        child, parent = walked[:-1].ravel(), walked[1:].ravel()
        moving = child != source
        if not moving.any():
            return np.zeros(len(nodes))
        owner = np.broadcast_to(np.arange(len(nodes)), walked[:-1].shape).ravel()
        lengths = self.graph.edge_lengths(graph_dir, parent[moving], child[moving])
        return np.bincount(owner[moving], weights=lengths, minlength=len(nodes))

    # --- route -------------------------------------------------------------------------------
    def route(self, origin_lonlat, destination_lonlat) -> Route:
        """The shortest-time route from origin to destination (driving legally on one-way streets)."""
        origin = self.snap_point(origin_lonlat)
        dest = self.snap_point(destination_lonlat)
        straight = float(haversine_m(origin.lon, origin.lat, dest.lon, dest.lat))
        if self.graph is None or not (origin.on_network and dest.on_network):
            coords = np.array([[origin.lon, origin.lat], [dest.lon, dest.lat]])
            return Route(
                coords,
                float(self.estimate_seconds(straight)),
                straight,
                ESTIMATED,
                STRAIGHT_LINE,
                origin,
                dest,
            )
        graph = self.graph
        s, t = origin.node, dest.node
        matrix = graph.csr("fwd")
        bound = MIN_BOUND_S + 2.0 * straight / graph.typical_speed_m_s
        while True:
            dist, pred = dijkstra(matrix, directed=True, indices=s, limit=bound, return_predecessors=True)
            if np.isfinite(dist[t]) or not np.isfinite(bound):
                break
            bound = bound * GROWTH if bound < 86400 * 7 else np.inf
        if not np.isfinite(dist[t]):  # cannot happen inside one strongly connected component
            raise RoutingError("no route between these points")
        path = self._tree_path(pred, s, t)
        lengths = graph.edge_lengths("fwd", path[:-1], path[1:])
        coords = np.vstack(
            [
                [origin.lon, origin.lat],
                np.column_stack([graph.lon[path], graph.lat[path]]),
                [dest.lon, dest.lat],
            ]
        )
        eta = float(dist[t]) + float(self._access_s(origin.distance_m + dest.distance_m))
        metres = float(lengths.sum()) + origin.distance_m + dest.distance_m
        return Route(coords, eta, metres, ROAD, ROAD, origin, dest)

    def _tree_path(self, pred: np.ndarray, source: int, target: int) -> np.ndarray:
        """Nodes source … target along the shortest-path tree (a BFS up the tree, in C)."""
        import scipy.sparse as sp

        if source == target:
            return np.array([source], dtype=np.int64)
        n = self.graph.n_nodes
        child = np.flatnonzero(pred >= 0)
        up = sp.csr_array((np.ones(len(child)), (child, pred[child])), shape=(n, n))
        chain = breadth_first_order(up, target, directed=True, return_predecessors=False)
        return chain[::-1].astype(np.int64)

    # --- isochrone ---------------------------------------------------------------------------
    def isochrone(
        self, origin_lonlat, minutes: float, direction: str = "from", buffer_m: float | None = None
    ):
        """The area reachable within ``minutes``: a shapely Polygon or MultiPolygon (WGS-84)."""
        return self.isochrone_detail(origin_lonlat, minutes, direction, buffer_m).polygon

    def isochrone_detail(
        self, origin_lonlat, minutes: float, direction: str = "from", buffer_m: float | None = None
    ) -> Isochrone:
        graph_dir = self._direction(direction)
        if not minutes > 0:
            raise RoutingError("minutes must be positive")
        buffer_m = DEFAULT_ISOCHRONE_BUFFER_M if buffer_m is None else float(buffer_m)
        if buffer_m <= 0:
            raise RoutingError("buffer_m must be positive")
        origin = self.snap_point(origin_lonlat)
        seconds = float(minutes) * 60.0
        proj = LocalProjection(origin.lon, origin.lat)
        if self.graph is None or not origin.on_network:
            radius = seconds * (self.fallback_speed_kmh / 3.6) / self.detour_factor
            circle = shapely.Point(0.0, 0.0).buffer(radius, quad_segs=16)
            polygon = shapely.transform(circle, proj.to_lonlat_coords)
            return Isochrone(polygon, float(minutes), direction, ESTIMATED, origin, "circle", 0, None)

        graph = self.graph
        budget = seconds - float(self._access_s(origin.distance_m))
        a = graph.arrays
        seg_a = [np.zeros((1, 2))]
        seg_b = [np.zeros((1, 2))]  # the origin itself
        if budget >= 0:  # the access leg to the snapped node, when there is time to walk it
            sx, sy = proj.forward(graph.lon[origin.node], graph.lat[origin.node])
            seg_a.append(np.zeros((1, 2)))
            seg_b.append(np.array([[float(sx), float(sy)]]))
        reached = np.zeros(0, dtype=np.int64)
        if budget >= 0:
            dist = dijkstra(graph.csr(graph_dir), directed=True, indices=origin.node, limit=budget)
            reached = np.flatnonzero(np.isfinite(dist))
            indptr = np.asarray(a[f"{graph_dir}_indptr"], dtype=np.int64)
            starts = indptr[reached]
            counts = indptr[reached + 1] - starts
            edges = _ranges(starts, counts)
            u = np.repeat(reached, counts)
            v = np.asarray(a[f"{graph_dir}_indices"])[edges]
            t = np.asarray(a[f"{graph_dir}_time"])[edges]
            frac = np.clip((budget - dist[u]) / t, 0.0, 1.0)
            ux, uy = proj.forward(graph.lon[u], graph.lat[u])
            vx, vy = proj.forward(graph.lon[v], graph.lat[v])
            seg_a.append(np.column_stack([ux, uy]))
            seg_b.append(np.column_stack([ux + frac * (vx - ux), uy + frac * (vy - uy)]))
            # every reached node counts, even one with no edge drawn from it
            rx, ry = proj.forward(graph.lon[reached], graph.lat[reached])
            seg_a.append(np.column_stack([rx, ry]))
            seg_b.append(np.column_stack([rx, ry]))
        polygon_xy = _buffer_segments(np.vstack(seg_a), np.vstack(seg_b), buffer_m)
        polygon = shapely.transform(polygon_xy, proj.to_lonlat_coords)
        return Isochrone(
            polygon, float(minutes), direction, ROAD, origin, "raster-buffer", int(len(reached)), buffer_m
        )


def _buffer_segments(a: np.ndarray, b: np.ndarray, buffer_m: float):
    """Union of the buffers of segments a[i]→b[i] (metres), via a raster and a distance transform."""
    from scipy import ndimage

    lo = np.minimum(a.min(axis=0), b.min(axis=0)) - buffer_m
    hi = np.maximum(a.max(axis=0), b.max(axis=0)) + buffer_m
    cell = buffer_m / 3.0
    span = hi - lo
    if (span[0] / cell + 3) * (span[1] / cell + 3) > MAX_RASTER_CELLS:
        cell = float(np.sqrt(span[0] * span[1] / MAX_RASTER_CELLS)) * 1.05
    # align the raster to multiples of the cell so that nested reaches rasterise to nested masks
    lo = np.floor(lo / cell) * cell - cell
    hi = np.ceil(hi / cell) * cell + cell
    nx = int(np.ceil((hi[0] - lo[0]) / cell)) + 1
    ny = int(np.ceil((hi[1] - lo[1]) / cell)) + 1
    # Sample every segment at no more than half a cell so that each crossed cell gets a sample.
    seg_len = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
    steps = np.ceil(seg_len / (cell * 0.5)).astype(np.int64) + 1
    owner = np.repeat(np.arange(len(a)), steps)
    pos = np.arange(int(steps.sum())) - np.repeat(np.cumsum(steps) - steps, steps)
    f = pos / np.maximum(steps[owner] - 1, 1)
    px = a[owner, 0] + f * (b[owner, 0] - a[owner, 0])
    py = a[owner, 1] + f * (b[owner, 1] - a[owner, 1])
    col = np.clip(((px - lo[0]) / cell).astype(np.int64), 0, nx - 1)
    row = np.clip(((hi[1] - py) / cell).astype(np.int64), 0, ny - 1)
    lines = np.zeros((ny, nx), dtype=bool)
    lines[row, col] = True
    inside = ndimage.distance_transform_edt(~lines, sampling=cell) <= buffer_m
    # Polygonise with shapely alone: one box per horizontal run of inside cells, then their union.
    # (rasterio's polygoniser would load a second GDAL into a process where Django's is loaded; the
    # two crash each other.)
    padded = np.zeros((ny, nx + 2), dtype=np.int8)
    padded[:, 1:-1] = inside
    step = np.diff(padded, axis=1)
    run_rows, run_starts = np.nonzero(step == 1)
    _, run_ends = np.nonzero(step == -1)
    if len(run_rows):
        top = hi[1] - run_rows * cell
        boxes = shapely.box(lo[0] + run_starts * cell, top - cell, lo[0] + run_ends * cell, top)
        merged = shapely.union_all(boxes)
    else:
        merged = shapely.Point(0, 0).buffer(buffer_m)
    return shapely.make_valid(shapely.simplify(merged, cell * 0.5, preserve_topology=True))
