"""Backup and restore of an instance: the database and the data directory's irreplaceable files, in one
archive (``citywatch backup FILE``, ``citywatch restore FILE``; README "Backups").

The archive is a gzip-compressed tar whose first member is ``manifest.json``::

    manifest.json                   format, created_at, versions, database engine, files' sizes and SHA-256
    database/citywatch.sqlite3      SpatiaLite: a copy made with SQLite's online backup API (consistent while
                                    the instance runs), or
    database/citywatch.pgdump       PostgreSQL/PostGIS: ``pg_dump -Fc`` (one consistent snapshot)
    data/roads/<version>/…          the road graph and the population grid in use (geo/store.py: only the
    data/population/<version>/…     current version), the basemap tiles (``basemap/``, when present) and
    data/uploads/…, data/basemap/…  the uploaded files (MEDIA_ROOT)

Left out, because they are made again: static files, the task queue, the secret key (sessions and open
reset links end after a restore onto a new key), the demo's source files.

Restore checks everything before it changes anything: the archive must be complete, every file must match
its size and checksum, and the database engine must be the one this instance uses. It refuses to replace
a database or data that hold anything unless ``--force``. The database is restored in one transaction
(PostgreSQL) or by the online backup API (SQLite); the geo datasets are published by the store's atomic
swap. Stop the web server and the worker while restoring.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import hashlib
import io
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.utils.translation import gettext as _

FORMAT = "citywatch-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# The versioned geo datasets (geo/store.py): only the version in use is kept.
STORES = ("roads", "population")
# Directories copied whole when present: basemap tiles and uploaded files.
DIRECTORIES = ("basemap", "uploads")
CHUNK = 1 << 20
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


# --- What is where -------------------------------------------------------------------------------------


def engine() -> str:
    """``spatialite`` or ``postgis`` (what this instance's database is)."""
    name = settings.DATABASES["default"]["ENGINE"]
    if "spatialite" in name or "sqlite" in name:
        return "spatialite"
    if "postgis" in name or "postgresql" in name:
        return "postgis"
    raise BackupError(_("unsupported database engine %(engine)s") % {"engine": name})


def data_dir() -> Path:
    return Path(settings.DATA_DIR)


def directory_path(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) if name == "uploads" else data_dir() / name


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


@dataclasses.dataclass
class Entry:
    """One file of the archive: its name there, where it comes from, its size and checksum."""

    name: str
    source: Path
    size: int = 0
    sha256: str = ""

    def measure(self) -> Entry:
        self.size = self.source.stat().st_size
        self.sha256 = sha256_file(self.source)
        return self


def _tree(root: Path, prefix: str) -> list[Entry]:
    entries = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_symlink() or not path.is_file() or any(p.startswith(".") for p in relative.parts):
            continue  # links, unfinished builds (.build-*), temporary files
        entries.append(Entry(f"{prefix}/{relative.as_posix()}", path))
    return entries


def data_entries() -> tuple[list[Entry], dict]:
    """The data directory's files to back up, and what the manifest says about them."""
    from citywatch.geo import store

    entries: list[Entry] = []
    about: dict = {}
    for kind in STORES:
        version = store.current_dir(store.kind_dir(kind))
        if version is None:
            continue
        about[kind] = {"version": version.name}
        entries += _tree(version, f"data/{kind}/{version.name}")
    for name in DIRECTORIES:
        root = directory_path(name)
        if root.is_dir():
            files = _tree(root, f"data/{name}")
            if files:
                about[name] = {"files": len(files)}
                entries += files
    return entries, about


# --- The database --------------------------------------------------------------------------------------


def _pg_env() -> tuple[list[str], dict]:
    """Connection options for the PostgreSQL client programs, and their environment (the password)."""
    db = settings.DATABASES["default"]
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _pg_program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            _(
                "%(program)s is not installed: install the PostgreSQL client "
                "(apt-get install postgresql-client)"
            )
            % {"program": name}
        )
    return found


def _run(command: list[str], env: dict, what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{what}: {result.stderr.strip() or result.stdout.strip()}")


def dump_database(target: Path) -> Path:
    """The database, consistently, into ``target`` (a directory); returns the file written."""
    from django.db import connection

    if engine() == "spatialite":
        out = target / "citywatch.sqlite3"
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        copy = sqlite3.connect(out)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        return out
    connection.close()
    out = target / "citywatch.pgdump"
    args, env = _pg_env()
    name = settings.DATABASES["default"]["NAME"]
    _run(
        [
            _pg_program("pg_dump"),
            *args,
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--file",
            str(out),
            name,
        ],
        env,
        "pg_dump",
    )
    return out


def database_about() -> dict:
    """Engine, server and spatial versions, and the last migration of every app."""
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    kind = engine()
    with connection.cursor() as cursor:
        if kind == "spatialite":
            cursor.execute("SELECT sqlite_version(), spatialite_version()")
        else:
            cursor.execute("SELECT current_setting('server_version'), postgis_lib_version()")
        server, spatial = cursor.fetchone()
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        if name > latest.get(app, ""):
            latest[app] = name
    return {"engine": kind, "server_version": server, "spatial_version": spatial, "migrations": latest}


# --- Backup --------------------------------------------------------------------------------------------


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    import django

    try:
        citywatch = version("citywatch")
    except PackageNotFoundError:
        citywatch = "unknown"
    return {"citywatch": citywatch, "django": django.get_version(), "python": platform.python_version()}


class _Checked(io.RawIOBase):
    """Reads a file while hashing it, so what goes into the archive is what the manifest says."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.handle.read(len(buffer))
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)


def create_backup(path: Path) -> dict:
    """Write the archive to ``path`` (atomically, mode 600); returns the manifest."""
    path = Path(path)
    if path.exists() and path.is_dir():
        raise BackupError(_("%(path)s is a directory; name the archive file") % {"path": path})
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=data_dir()) as staging:
        database = dump_database(Path(staging))
        entries = [Entry(f"database/{database.name}", database)]
        more, about = data_entries()
        entries += more
        for entry in entries:
            entry.measure()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "versions": _versions(),
            "database": {**database_about(), "file": entries[0].name},
            "data": about,
            "files": [{"path": e.name, "size": e.size, "sha256": e.sha256} for e in entries],
        }
        partial = path.with_name(path.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False).encode())
                for entry in entries:
                    info = tarfile.TarInfo(entry.name)
                    info.size, info.mode, info.mtime = entry.size, 0o644, int(entry.source.stat().st_mtime)
                    with open(entry.source, "rb") as handle:
                        checked = _Checked(handle)
                        tar.addfile(info, checked)
                    if checked.digest.hexdigest() != entry.sha256:
                        raise BackupError(
                            _("%(path)s changed while it was being backed up; run the backup again")
                            % {"path": entry.name}
                        )
            os.replace(partial, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


# --- Restore -------------------------------------------------------------------------------------------


def _damaged(reason: str) -> BackupError:
    return BackupError(
        _("the backup file is damaged or not a CityWatch backup: %(reason)s") % {"reason": reason}
    )


def read_manifest(tar: tarfile.TarFile) -> dict:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile() or first.size > MAX_MANIFEST_BYTES:
        raise _damaged(_("it does not start with a manifest"))
    try:
        manifest = json.loads(tar.extractfile(first).read())
    except ValueError:
        raise _damaged(_("the manifest is not readable")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged(_("the manifest is not a CityWatch backup's"))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            _("the backup has format version %(found)s; this CityWatch reads version %(version)s")
            % {"found": manifest.get("format_version"), "version": FORMAT_VERSION}
        )
    files = manifest.get("files")
    if not isinstance(files, list) or not files:
        raise _damaged(_("the manifest lists no files"))
    for item in files:
        name = item.get("path") if isinstance(item, dict) else None
        if not isinstance(name, str) or not _safe_name(name):
            raise _damaged(_("the manifest names an unsafe path %(path)s") % {"path": repr(name)})
    return manifest


def _safe_name(name: str) -> bool:
    pure = PurePosixPath(name)
    return (
        not pure.is_absolute()
        and ".." not in pure.parts
        and "\\" not in name
        and "\x00" not in name
        and len(pure.parts) >= 2
        and pure.parts[0] in ("database", "data")
    )


def _extract(tar: tarfile.TarFile, manifest: dict, staging: Path) -> None:
    """Every member into ``staging``, each checked against the manifest; nothing else is accepted."""
    expected = {item["path"]: item for item in manifest["files"]}
    seen = set()
    for member in tar:
        if member.isdir() or (member.offset == 0 and member.name == MANIFEST):
            continue  # the manifest, read already
        item = expected.get(member.name)
        if item is None or not member.isfile() or member.name in seen:
            raise _damaged(_("unexpected entry %(path)s") % {"path": repr(member.name)})
        if member.size != item.get("size"):
            raise _damaged(_("%(path)s has the wrong size") % {"path": member.name})
        target = staging / member.name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        source = tar.extractfile(member)
        with open(target, "wb") as out:
            while block := source.read(CHUNK):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != item.get("sha256"):
            raise _damaged(_("%(path)s does not match its checksum") % {"path": member.name})
        seen.add(member.name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise _damaged(_("%(path)s is missing (the file is cut short?)") % {"path": missing[0]})


def database_is_empty() -> bool:
    """No CityWatch record in the database (tables may exist, freshly migrated)."""
    from django.apps import apps
    from django.db import connection

    tables = set(connection.introspection.table_names())
    for model in apps.get_models():
        label = model._meta.app_config.name
        if not label.startswith("citywatch") or model._meta.label == "core.WorkerHeartbeat":
            continue
        if model._meta.db_table in tables and model._default_manager.exists():
            return False
    return True


def data_is_empty() -> bool:
    entries, _about = data_entries()
    return not entries


def engine_label(kind: str) -> str:
    return {"spatialite": "SpatiaLite", "postgis": "PostgreSQL/PostGIS"}.get(kind, str(kind))


def restore_backup(path: Path, *, force: bool = False) -> dict:
    """Restore the archive at ``path`` into this instance's database and data directory."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(_("no such file: %(path)s") % {"path": path})
    try:
        with tarfile.open(path, mode="r:*") as tar:
            manifest = read_manifest(tar)
            found, here = manifest.get("database", {}).get("engine"), engine()
            if found != here:
                raise BackupError(
                    _(
                        "this backup holds a %(found)s database, but this instance uses %(here)s: restore it "
                        "on an instance with the same database engine"
                    )
                    % {"found": engine_label(found), "here": engine_label(here)}
                )
            if not force and not (database_is_empty() and data_is_empty()):
                raise BackupError(
                    _(
                        "the database or the data directory already holds data; restoring would replace it. "
                        "Run again with --force to replace it."
                    )
                )
            with tempfile.TemporaryDirectory(prefix=".restore-", dir=data_dir()) as tmp:
                staging = Path(tmp)
                _extract(tar, manifest, staging)
                _restore_database(staging / manifest["database"]["file"])
                _restore_data(staging, manifest)
    except EOFError:
        raise _damaged(_("the file is cut short")) from None
    except (zlib.error, gzip.BadGzipFile):
        raise _damaged(_("the compressed data is corrupt")) from None
    except tarfile.TarError:
        raise _damaged(_("it is not a readable archive")) from None
    return manifest


def _restore_database(dump: Path) -> None:
    from django.db import connections

    connections.close_all()
    if engine() == "spatialite":
        source = sqlite3.connect(dump)
        target = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=30)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    _restore_postgres(dump)


# The application's objects in the public schema, not those of an extension (PostGIS): tables, views
# (dropped with CASCADE), then sequences no table owns (a serial's or identity column's goes with it).
PG_OBJECTS = """
SELECT c.relkind, quote_ident(c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
      AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i')))
  )
ORDER BY c.relkind = 'S', c.relname
"""
DROP = {
    "r": "TABLE",
    "p": "TABLE",
    "v": "VIEW",
    "m": "MATERIALIZED VIEW",
    "S": "SEQUENCE",
    "f": "FOREIGN TABLE",
}


def _restore_postgres(dump: Path) -> None:
    """Drop the application's objects and load the dump in one transaction: psql stops at the first
    error and the transaction is rolled back, leaving the database as it was."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(PG_OBJECTS)
        objects = cursor.fetchall()
    connection.close()
    drops = "".join(f"DROP {DROP[kind]} IF EXISTS public.{name} CASCADE;\n" for kind, name in objects)
    args, env = _pg_env()
    name = settings.DATABASES["default"]["NAME"]
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        restore = subprocess.Popen(  # noqa: S603
            [
                _pg_program("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--no-comments",
                "--file",
                "-",
                str(dump),
            ],
            stdout=subprocess.PIPE,
            stderr=restore_err,
            env=env,
        )
        psql = subprocess.Popen(  # noqa: S603
            [
                _pg_program("psql"),
                *args,
                "--no-psqlrc",
                "--quiet",
                "--set",
                "ON_ERROR_STOP=1",
                "--dbname",
                name,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
            env=env,
        )
        restore_failed = None
        try:
            psql.stdin.write(b"BEGIN;\n" + drops.encode())
            shutil.copyfileobj(restore.stdout, psql.stdin, CHUNK)
            # Commit only a complete script: a pg_restore that failed half-way rolls everything back.
            restore_failed = restore.wait() != 0
            psql.stdin.write(b"ROLLBACK;\n" if restore_failed else b"COMMIT;\n")
        except BrokenPipeError:
            pass  # psql stopped at an error (reported below)
        finally:
            with contextlib.suppress(BrokenPipeError):
                psql.stdin.close()
            if restore.poll() is None:
                restore.kill()  # psql gave up: pg_restore would wait on a full pipe forever
            restore.stdout.close()
            restore.wait()
        if psql.wait() != 0:
            psql_err.seek(0)
            raise BackupError("psql: " + psql_err.read().decode(errors="replace").strip())
        if restore_failed is not False:
            restore_err.seek(0)
            raise BackupError("pg_restore: " + restore_err.read().decode(errors="replace").strip())


def _restore_data(staging: Path, manifest: dict) -> None:
    from citywatch.geo import store

    about = manifest.get("data", {})
    for kind in STORES:
        directory = store.kind_dir(kind)
        version = about.get(kind, {}).get("version")
        if version:
            built = staging / "data" / kind / version
            directory.mkdir(parents=True, exist_ok=True)
            with store.staging(directory) as build:
                for item in built.iterdir():
                    shutil.move(str(item), build / item.name)
                store.publish(directory, build)
        elif (directory / store.CURRENT).is_symlink():
            (directory / store.CURRENT).unlink()  # the backup had none: neither has the instance now
    for name in DIRECTORIES:
        root = directory_path(name)
        source = staging / "data" / name
        if root.exists():
            old = root.with_name(f".{root.name}-replaced-{os.getpid()}")
            os.rename(root, old)
            shutil.rmtree(old, ignore_errors=True)
        if source.is_dir():
            root.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(source), root)
    store.clear_current()
