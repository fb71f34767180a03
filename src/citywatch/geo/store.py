"""Versioned array datasets in the data directory, published atomically, loaded memory-mapped.

Layout of one dataset kind (``DATA_DIR/roads``, ``DATA_DIR/population``)::

    roads/
      current -> v-20250101T120000Z-1a2b3c      a symbolic link, swapped atomically (rename(2))
      v-20250101T120000Z-1a2b3c/
        manifest.json                            source file hash, build time, counts, parameters
        <name>.npy …                             plain NumPy arrays (np.load(mmap_mode="r"))
      v-…                                        the previous version, kept so that a process that
                                                 resolved ``current`` a moment ago can still read it

A build writes into ``.build-*`` inside the kind directory; only a complete build is renamed into
place and published, so a failed or interrupted import leaves the previous version in use. Older
versions are removed; processes that have them memory-mapped keep reading them (POSIX semantics).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

MANIFEST = "manifest.json"
CURRENT = "current"
KEEP_PREVIOUS = 1


def data_root() -> Path:
    from django.conf import settings

    return Path(settings.DATA_DIR)


def kind_dir(kind: str, root: Path | None = None) -> Path:
    from django.conf import settings

    return _kind_dir(str(root if root is not None else settings.DATA_DIR), kind)


@functools.lru_cache(maxsize=64)
def _kind_dir(root: str, kind: str) -> Path:
    """``root/kind`` built once (asked at every request that ranks by road: no new pathlib objects)."""
    return Path(root) / kind


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextlib.contextmanager
def staging(directory: Path):
    """A fresh build directory inside ``directory``; removed again unless published."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=directory))
    try:
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def publish(directory: Path, build_dir: Path) -> Path:
    """Make ``build_dir`` (a complete build inside ``directory``) the current version, atomically."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = directory / f"v-{stamp}-{secrets.token_hex(3)}"
    os.chmod(build_dir, 0o755)  # noqa: S103  (mkdtemp made it private; web workers may be another user)
    os.rename(build_dir, final)
    link_tmp = directory / f".current-{secrets.token_hex(4)}"
    os.symlink(final.name, link_tmp)
    os.replace(link_tmp, directory / CURRENT)  # atomic swap of the link
    _prune(directory, keep=final.name)
    return final


def _prune(directory: Path, keep: str) -> None:
    versions = sorted(p for p in directory.glob("v-*") if p.is_dir() and p.name != keep)
    for old in versions[: max(0, len(versions) - KEEP_PREVIOUS)]:
        shutil.rmtree(old, ignore_errors=True)


def current_dir(directory: Path) -> Path | None:
    """The resolved directory of the current version, or None when nothing was published."""
    link = directory / CURRENT
    try:
        target = Path(os.path.realpath(link))
    except OSError:
        return None
    return target if (target / MANIFEST).is_file() else None


def version_key(directory: Path):
    """Identity of the current version (changes whenever a new one is published); None if none."""
    try:
        st = os.stat(os.path.join(directory, CURRENT, MANIFEST))  # per request: no pathlib objects
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def write_manifest(build_dir: Path, manifest: dict) -> None:
    (build_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False))


def read_manifest(version_dir: Path) -> dict:
    return json.loads((version_dir / MANIFEST).read_text())


def current_manifest(directory: Path) -> tuple[Path, dict] | None:
    """The current version's directory and its manifest, or None (nothing published, or unreadable)."""
    version = current_dir(directory)
    if version is None:
        return None
    try:
        return version, read_manifest(version)
    except (OSError, ValueError):
        return None


def save_arrays(build_dir: Path, arrays: dict[str, np.ndarray]) -> None:
    for name, arr in arrays.items():
        np.save(build_dir / f"{name}.npy", np.ascontiguousarray(arr), allow_pickle=False)


def load_arrays(version_dir: Path, names, mmap: bool = True) -> dict[str, np.ndarray]:
    mode = "r" if mmap else None
    return {name: np.load(version_dir / f"{name}.npy", mmap_mode=mode, allow_pickle=False) for name in names}


class StoredArrays:
    """Mixin for a dataset kept as .npy arrays plus a manifest: subclasses set ``ARRAYS`` (names),
    ``FORMAT_VERSION`` and ``LABEL``, and take ``(arrays, manifest, path=None)`` in ``__init__``."""

    ARRAYS: tuple[str, ...] = ()
    FORMAT_VERSION: int = 1
    LABEL: str = "dataset"

    def save(self, directory: Path) -> None:
        save_arrays(directory, {name: self.arrays[name] for name in self.ARRAYS})
        write_manifest(directory, self.manifest)

    @classmethod
    def load(cls, directory: Path, mmap: bool = True):
        manifest = read_manifest(directory)
        if manifest.get("format") != cls.FORMAT_VERSION:
            raise ValueError(f"{cls.LABEL} in {directory} has format {manifest.get('format')!r}")
        return cls(load_arrays(directory, cls.ARRAYS, mmap=mmap), manifest, path=directory)


_CURRENT: dict[Path, tuple[object, object]] = {}
_CURRENT_LOCK = threading.Lock()


def load_current(directory: Path, cls, prepare=None):
    """The version published in ``directory`` loaded as ``cls`` (memory-mapped), cached per process.

    Each call costs one ``stat`` of the manifest; when a new version has been published since the last
    call, it is loaded (and ``prepare(obj)`` run once) and the old one dropped. None when nothing is
    published."""
    key = version_key(directory)
    if key is None:
        return None
    cached = _CURRENT.get(directory)
    if cached is not None and cached[0] == key:
        return cached[1]
    with _CURRENT_LOCK:
        cached = _CURRENT.get(directory)
        if cached is not None and cached[0] == key:
            return cached[1]
        for _attempt in range(3):  # a concurrent import may swap versions under us
            key = version_key(directory)
            version = current_dir(directory)
            if key is None or version is None:
                return None
            try:
                obj = cls.load(version)
            except FileNotFoundError:
                continue
            if prepare is not None:
                prepare(obj)
            _CURRENT[directory] = (key, obj)
            return obj
        return None


def clear_current() -> None:
    with _CURRENT_LOCK:
        _CURRENT.clear()
