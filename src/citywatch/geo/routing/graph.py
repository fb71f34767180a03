"""The road graph as compact arrays: built from an edge list, saved as ``.npy`` files, loaded memory-mapped.

Arrays (node count N, directed edge count E; every file is a plain ``.npy``):

=================  ========  ==============================================================
``lon``, ``lat``   f8[N]     node position, WGS-84 degrees
``osm_id``         i8[N]     the OpenStreetMap node id (or the caller's id)
``component``      i4[N]     strongly connected component label
``main_nodes``     i4[M]     the nodes of the largest strongly connected component (snap targets)
``fwd_indptr``     i4/i8     CSR of the forward graph (row = from-node, sorted columns)
``fwd_indices``    i4[E]     to-node
``fwd_time``       f8[E]     travel time, seconds (the Dijkstra weight)
``fwd_length``     f4[E]     length, metres
``rev_*``                    the same for the reversed graph (row = to-node), so that "time from
                             every node to X" is one Dijkstra from X on ready-made arrays
=================  ========  ==============================================================

Parallel edges are reduced to the fastest one, and a travel time is never below 1 ms. The graph object
holds the arrays read-only (memory-mapped when loaded from disk, so several worker processes share one
copy in the page cache) and builds, once and lazily, the snapping k-d tree and the edge-key tables.
``current_graph()`` returns the graph published in ``DATA_DIR/roads`` and reloads it when a new import
replaced the manifest.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from citywatch.geo import store
from citywatch.geo.distance import chord_to_m, unit_vectors

KIND = "roads"
FORMAT_VERSION = 1
MIN_EDGE_SECONDS = 1e-3
NODE_ARRAYS = ("lon", "lat", "osm_id", "component", "main_nodes")
EDGE_ARRAYS = tuple(f"{d}_{n}" for d in ("fwd", "rev") for n in ("indptr", "indices", "time", "length"))
ARRAYS = NODE_ARRAYS + EDGE_ARRAYS


def _csr(n: int, rows: np.ndarray, cols: np.ndarray, time: np.ndarray, length: np.ndarray, presorted=False):
    """CSR arrays (indptr, indices, time, length) of an edge list; ``presorted``: already by (row, col)."""
    if not presorted:
        order = np.argsort(rows * n + cols, kind="stable")
        rows, cols, time, length = rows[order], cols[order], time[order], length[order]
    counts = np.bincount(rows, minlength=n)
    index_dtype = np.int32 if len(rows) < np.iinfo(np.int32).max and n < np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(n + 1, dtype=index_dtype)
    np.cumsum(counts, out=indptr[1:])
    return indptr, cols.astype(index_dtype), time.astype(np.float64), length.astype(np.float32)


class RoadGraph(store.StoredArrays):
    """A directed road graph (travel-time weights) with its reverse, in CSR arrays."""

    ARRAYS = ARRAYS
    FORMAT_VERSION = FORMAT_VERSION
    LABEL = "road graph"

    def __init__(self, arrays: dict[str, np.ndarray], manifest: dict | None = None, path: Path | None = None):
        missing = [name for name in ARRAYS if name not in arrays]
        if missing:
            raise ValueError(f"road graph arrays missing: {', '.join(missing)}")
        self.arrays = arrays
        self.manifest = manifest or {}
        self.path = path
        self.lon = arrays["lon"]
        self.lat = arrays["lat"]
        self.n_nodes = int(len(self.lon))
        self.n_edges = int(len(arrays["fwd_indices"]))
        self.main_nodes = arrays["main_nodes"]
        self._lock = threading.Lock()
        self._csr: dict[str, sp.csr_array] = {}
        self._keys: dict[str, np.ndarray] = {}
        self._snap_tree: cKDTree | None = None
        self._main_mask: np.ndarray | None = None

    # --- construction --------------------------------------------------------------------------
    @classmethod
    def from_edges(
        cls,
        lon,
        lat,
        src,
        dst,
        time_s,
        length_m,
        osm_id=None,
        manifest: dict | None = None,
    ) -> RoadGraph:
        """A graph from node positions and a directed edge list (arrays of equal length)."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        n = len(lon)
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        time_s = np.maximum(np.asarray(time_s, dtype=np.float64), MIN_EDGE_SECONDS)
        length_m = np.asarray(length_m, dtype=np.float64)
        if not (len(src) == len(dst) == len(time_s) == len(length_m)):
            raise ValueError("edge arrays differ in length")
        if len(src) and (src.min() < 0 or dst.min() < 0 or src.max() >= n or dst.max() >= n):
            raise ValueError("edge refers to a node that does not exist")
        keep = src != dst
        src, dst, time_s, length_m = src[keep], dst[keep], time_s[keep], length_m[keep]
        # Sort by (from, to); of parallel edges keep the fastest (then the first given).
        key = src * n + dst
        order = np.argsort(key, kind="stable")
        key, src, dst, time_s, length_m = key[order], src[order], dst[order], time_s[order], length_m[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        if len(starts) < len(key):
            sizes = np.diff(np.r_[starts, len(key)])
            fastest = np.repeat(np.minimum.reduceat(time_s, starts), sizes)
            candidate = np.flatnonzero(time_s == fastest)
            group = np.repeat(np.arange(len(starts)), sizes)[candidate]
            first = candidate[np.r_[True, group[1:] != group[:-1]]]
            src, dst, time_s, length_m = src[first], dst[first], time_s[first], length_m[first]

        fwd = _csr(n, src, dst, time_s, length_m, presorted=True)
        rev = _csr(n, dst, src, time_s, length_m)
        arrays = {
            "lon": lon,
            "lat": lat,
            "osm_id": np.arange(n, dtype=np.int64) if osm_id is None else np.asarray(osm_id, np.int64),
        }
        for prefix, parts in (("fwd", fwd), ("rev", rev)):
            for name, arr in zip(("indptr", "indices", "time", "length"), parts, strict=True):
                arrays[f"{prefix}_{name}"] = arr
        matrix = sp.csr_array((fwd[2], fwd[1], fwd[0]), shape=(n, n))
        if n:
            n_comp, labels = connected_components(matrix, directed=True, connection="strong")
            sizes = np.bincount(labels)
            main = int(np.argmax(sizes))
            main_nodes = np.flatnonzero(labels == main).astype(np.int32)
        else:
            n_comp, labels, sizes, main_nodes = (
                0,
                np.zeros(0, np.int32),
                np.zeros(0, np.int64),
                np.zeros(0, np.int32),
            )
        arrays["component"] = labels.astype(np.int32)
        arrays["main_nodes"] = main_nodes
        info = dict(manifest or {})
        info["format"] = FORMAT_VERSION
        counts = dict(info.get("counts", {}))
        counts.update(
            nodes=int(n),
            edges=int(len(src)),
            components=int(n_comp),
            main_component_nodes=int(len(main_nodes)),
        )
        info["counts"] = counts
        if n:
            info["bbox"] = [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())]
        # length-weighted mean speed: only used to guess the first Dijkstra bound of a query
        typical = float(length_m.sum() / time_s.sum()) if len(time_s) else 10.0
        info["typical_speed_m_s"] = max(typical, 0.5)
        return cls(arrays, info)

    # --- persistence ---------------------------------------------------------------------------

    # --- views -------------------------------------------------------------------------------
    @property
    def graph_id(self) -> str:
        return str(self.path or id(self))

    @property
    def typical_speed_m_s(self) -> float:
        return float(self.manifest.get("typical_speed_m_s", 10.0))

    def csr(self, direction: str) -> sp.csr_array:
        """``"fwd"`` or ``"rev"`` as a SciPy CSR array over the stored arrays (no copy)."""
        matrix = self._csr.get(direction)
        if matrix is None:
            a = self.arrays
            matrix = sp.csr_array(
                (a[f"{direction}_time"], a[f"{direction}_indices"], a[f"{direction}_indptr"]),
                shape=(self.n_nodes, self.n_nodes),
                copy=False,
            )
            matrix.has_sorted_indices = True
            self._csr[direction] = matrix
        return matrix

    def edge_keys(self, direction: str) -> np.ndarray:
        """Sorted ``row * N + column`` per stored edge, for looking edges up by their two nodes."""
        keys = self._keys.get(direction)
        if keys is None:
            indptr = np.asarray(self.arrays[f"{direction}_indptr"], dtype=np.int64)
            rows = np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(indptr))
            keys = rows * self.n_nodes + np.asarray(self.arrays[f"{direction}_indices"], dtype=np.int64)
            self._keys[direction] = keys
        return keys

    def edge_lengths(self, direction: str, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Length (m) of the stored edges ``rows[i] → cols[i]`` of the graph ``direction``."""
        if len(rows) == 0:
            return np.zeros(0)
        keys = self.edge_keys(direction)
        want = np.asarray(rows, dtype=np.int64) * self.n_nodes + np.asarray(cols, dtype=np.int64)
        order = np.argsort(want)
        pos = np.empty(len(want), dtype=np.int64)
        pos[order] = np.searchsorted(keys, want[order])
        return np.asarray(self.arrays[f"{direction}_length"], dtype=np.float64)[pos]

    @property
    def main_mask(self) -> np.ndarray:
        if self._main_mask is None:
            mask = np.zeros(self.n_nodes, dtype=bool)
            mask[self.main_nodes] = True
            self._main_mask = mask
        return self._main_mask

    def snap(self, lonlat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(node, distance_m)`` of the nearest node of the largest strongly connected component for
        each (lon, lat) row (great-circle distance; node -1 and distance inf for invalid points)."""
        pts = np.asarray(lonlat, dtype=float).reshape(-1, 2)
        nodes = np.full(len(pts), -1, dtype=np.int64)
        dist = np.full(len(pts), np.inf)
        ok = np.isfinite(pts).all(axis=1) & (np.abs(pts[:, 0]) <= 180) & (np.abs(pts[:, 1]) <= 90)
        if not ok.any() or len(self.main_nodes) == 0:
            return nodes, dist
        chord, idx = self.snap_tree().query(unit_vectors(pts[ok, 0], pts[ok, 1]), k=1)
        nodes[ok] = np.asarray(self.main_nodes)[idx]
        dist[ok] = chord_to_m(chord)
        return nodes, dist

    def snap_tree(self) -> cKDTree:
        if self._snap_tree is None:
            with self._lock:
                if self._snap_tree is None:
                    main = np.asarray(self.main_nodes)
                    self._snap_tree = cKDTree(
                        unit_vectors(self.lon[main], self.lat[main]), balanced_tree=False, compact_nodes=False
                    )
        return self._snap_tree


# --- the published graph, once per process ---------------------------------------------------------


def roads_dir(root: Path | None = None) -> Path:
    return store.kind_dir(KIND, root)


def current_graph(root: Path | None = None) -> RoadGraph | None:
    """The road graph published in ``DATA_DIR/roads`` (memory-mapped, cached per process), or None.

    The snapping index is built once when a graph is loaded, rather than in the first query."""
    return store.load_current(roads_dir(root), RoadGraph, prepare=lambda graph: graph.snap_tree())


def clear_cache() -> None:
    """Forget every loaded dataset (the next call loads the published version again)."""
    store.clear_current()
