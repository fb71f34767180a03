"""``citywatch backup FILE`` and ``citywatch restore FILE``, round-tripping the demo city.

The demo city is loaded into a scratch instance — its own data directory and its own database (a
SpatiaLite file, or a scratch PostGIS database on the server the tests use) — and backed up. Then the
instance is wiped and restored, and everything is compared: the row count of every table, a few
records field by field, and the checksums of the road graph and population grid files. Restore refuses
a non-empty instance without ``--force``, a backup from the other database engine, and damaged files,
and changes nothing when it refuses.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import dj_database_url
import pytest
from django.conf import settings

from tests.support.servers import migrated_spatialite

ON_POSTGIS = "postgis" in settings.DATABASES["default"]["ENGINE"]

# What the scratch instance holds, as JSON: every table's row count, some records, the geo files.
FACTS = r"""
import hashlib, json
import django
django.setup()
from django.apps import apps
from citywatch.core.models import AdminArea, ObjectChange, User
from citywatch.geo import store
from citywatch.resources.models import RescueTeam, Shelter

counts = {m._meta.label: m._default_manager.count() for m in apps.get_models()}
area = AdminArea.objects.get(code="350203")
facts = {
    "counts": counts,
    "users": sorted(User.objects.values_list("username", "password", "role", "jurisdiction__code")),
    "siming": [area.name, area.path, hashlib.sha256(bytes(area.boundary.wkb)).hexdigest()],
    "shelters": [
        [s.external_id, s.name, s.location.wkt, s.capacity, s.facilities, s.area.code]
        for s in Shelter.objects.order_by("external_id")[:5]
    ],
    "teams": [[t.external_id, t.status, t.equipment] for t in RescueTeam.objects.order_by("external_id")[:5]],
    "last_change": list(ObjectChange.objects.order_by("-pk").values_list("pk", "object_repr", "after")[:1]),
    "geo": {},
}
for kind in ("roads", "population"):
    version = store.current_dir(store.kind_dir(kind))
    facts["geo"][kind] = None if version is None else {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(version.iterdir())
    }
print(json.dumps(facts, default=str))
"""


class Instance:
    """A CityWatch instance of its own: a data directory and a database, driven by the command line."""

    def __init__(self, root: Path):
        self.data = root / "data"
        self.data.mkdir(parents=True)
        self.pg_name = None
        if ON_POSTGIS:
            url = dj_database_url.parse(os.environ["CITYWATCH_DATABASE_URL"])
            self.pg = url
            self.pg_name = f"cw_backup_{os.getpid()}_{secrets.token_hex(3)}"
            self.database_url = (
                f"postgis://{url['USER']}{':' + url['PASSWORD'] if url.get('PASSWORD') else ''}"
                f"@{url['HOST'] or '127.0.0.1'}:{url['PORT'] or 5432}/{self.pg_name}"
            )
            self._pg_admin(f'CREATE DATABASE "{self.pg_name}"')
        else:
            self.database_url = f"spatialite:///{self.data / 'citywatch.sqlite3'}"

    def _pg_admin(self, sql: str) -> None:
        import psycopg

        url = self.pg
        with psycopg.connect(
            host=url["HOST"] or "127.0.0.1",
            port=url["PORT"] or 5432,
            user=url["USER"],
            password=url.get("PASSWORD") or None,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql)

    @property
    def env(self) -> dict:
        return {
            **os.environ,
            "CITYWATCH_DATA_DIR": str(self.data),
            "CITYWATCH_DATABASE_URL": self.database_url,
            "CITYWATCH_DEMO_PASSWORD": "demo-password-for-backups",
            "DJANGO_SETTINGS_MODULE": "citywatch.settings",
        }

    def run(self, *args, check=True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "citywatch.cli", *map(str, args)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if check:
            assert result.returncode == 0, (args, result.stdout[-3000:], result.stderr[-3000:])
        return result

    def facts(self) -> dict:
        result = subprocess.run(
            [sys.executable, "-c", FACTS], env=self.env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout)

    def wipe(self) -> None:
        """Lose everything: the database and the data directory's datasets and uploads."""
        for name in ("roads", "population", "uploads", "basemap"):
            shutil.rmtree(self.data / name, ignore_errors=True)
        if ON_POSTGIS:
            self._pg_admin(f'DROP DATABASE "{self.pg_name}" WITH (FORCE)')
            self._pg_admin(f'CREATE DATABASE "{self.pg_name}"')
        else:
            for path in self.data.glob("citywatch.sqlite3*"):
                path.unlink()

    def drop(self) -> None:
        if self.pg_name:
            self._pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A scratch instance with the demo city, an uploaded file and a basemap tile, and its backup."""
    instance = Instance(tmp_path_factory.mktemp("instance"))
    try:
        if not ON_POSTGIS:  # `demo` migrates; on SpatiaLite, a copy of the migrated template saves the work
            migrated_spatialite(instance.data / "citywatch.sqlite3")
        instance.run("demo", "--load-only")
        (instance.data / "uploads" / "sitreps").mkdir(parents=True)
        (instance.data / "uploads" / "sitreps" / "report-1.pdf").write_bytes(b"%PDF-1.7 test upload\n")
        (instance.data / "basemap" / "12" / "3401").mkdir(parents=True)
        (instance.data / "basemap" / "12" / "3401" / "1780.png").write_bytes(b"\x89PNG\r\n\x1a\n tile")
        archive = tmp_path_factory.mktemp("backups") / "citywatch.tar.gz"
        result = instance.run("backup", archive)
        assert archive.is_file() and oct(archive.stat().st_mode & 0o777) == "0o600"
        assert str(archive) in result.stdout
        yield instance, archive, instance.facts()
    finally:
        instance.drop()


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        first = tar.next()
        assert first.name == "manifest.json"
        return json.loads(tar.extractfile(first).read())


def rewritten(archive: Path, target: Path, *, manifest=None, member=None) -> Path:
    """A copy of ``archive`` with its manifest and/or one member's bytes replaced by the callables given."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for info in source:
            data = source.extractfile(info).read()
            if info.name == "manifest.json" and manifest:
                data = json.dumps(manifest(json.loads(data))).encode()
            elif member and member[0] == info.name:
                data = member[1](data)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return target


def test_the_manifest_says_what_the_backup_holds(demo):
    instance, archive, facts = demo
    manifest = manifest_of(archive)
    assert manifest["format"] == "citywatch-backup" and manifest["format_version"] == 1
    assert manifest["created_at"].endswith("Z") and manifest["versions"]["django"]
    assert manifest["database"]["engine"] == ("postgis" if ON_POSTGIS else "spatialite")
    from django.db.migrations.loader import MigrationLoader

    [core_leaf] = [name for app, name in MigrationLoader(None).graph.leaf_nodes() if app == "core"]
    assert manifest["database"]["migrations"]["core"] == core_leaf
    names = {f["path"] for f in manifest["files"]}
    assert manifest["database"]["file"] in names
    assert "data/uploads/sitreps/report-1.pdf" in names and "data/basemap/12/3401/1780.png" in names
    roads = manifest["data"]["roads"]["version"]
    assert {f"data/roads/{roads}/{name}" for name in facts["geo"]["roads"]} <= names
    assert all(len(f["sha256"]) == 64 and f["size"] >= 0 for f in manifest["files"])


def test_restore_after_losing_everything_gives_the_same_city(demo):
    instance, archive, before = demo
    instance.wipe()
    result = instance.run("restore", archive)
    assert "已恢复" in result.stdout, result.stdout
    after = instance.facts()
    assert after["counts"] == before["counts"]
    assert (
        before["counts"]["resources.Shelter"] > 0 and before["counts"]["core.User"] >= 7
    )  # the personas and the teams' leaders
    for key in ("users", "siming", "shelters", "teams", "last_change", "geo"):
        assert after[key] == before[key], key
    assert (instance.data / "uploads" / "sitreps" / "report-1.pdf").read_bytes() == b"%PDF-1.7 test upload\n"
    assert (instance.data / "basemap" / "12" / "3401" / "1780.png").is_file()
    instance.run("migrate", "--check")  # the migration history came back too
    login = instance.run(
        "shell",
        "-c",
        "from citywatch.core.models import User;"
        "print(User.objects.get(username='city_admin').check_password('demo-password-for-backups'))",
    )
    assert login.stdout.strip().splitlines()[-1] == "True"


def test_restore_refuses_an_instance_with_data_unless_forced(demo):
    instance, archive, before = demo
    refused = instance.run("restore", archive, check=False)
    assert refused.returncode != 0 and "--force" in refused.stderr, refused.stderr
    instance.run("restore", archive, "--force")
    assert instance.facts() == before


DAMAGES = ["flipped-byte", "cut-short", "checksum", "not-a-backup", "extra-member", "unsafe-path"]


def damaged(archive: Path, bad: Path, damage: str) -> Path:
    data = archive.read_bytes()
    if damage == "flipped-byte":
        middle = bytearray(data)
        middle[len(data) // 2] ^= 0xFF
        bad.write_bytes(bytes(middle))
    elif damage == "cut-short":
        bad.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "checksum":
        path = next(f["path"] for f in manifest_of(archive)["files"] if f["path"].startswith("data/roads/"))
        rewritten(archive, bad, member=(path, lambda b: b[:-1] + bytes([b[-1] ^ 1])))
    elif damage == "not-a-backup":
        with tarfile.open(bad, "w:gz") as tar:
            info = tarfile.TarInfo("hello.txt")
            info.size = 5
            tar.addfile(info, io.BytesIO(b"hello"))
    elif damage == "extra-member":
        with tarfile.open(archive) as source, tarfile.open(bad, "w:gz") as out:
            for info in source:
                out.addfile(info, source.extractfile(info))
            info = tarfile.TarInfo("data/uploads/../../evil.txt")
            info.size = 4
            out.addfile(info, io.BytesIO(b"evil"))
    elif damage == "unsafe-path":

        def escape(manifest):
            manifest["files"][-1]["path"] = "../outside.txt"
            return manifest

        rewritten(archive, bad, manifest=escape)
    return bad


# Restores each file named on the command line into the instance, as `citywatch restore --force` does,
# in one process (a process start per file would cost more than the checks), and prints each refusal.
RESTORE_EACH = r"""
import json, sys
from pathlib import Path
import django
django.setup()
from django.utils import translation
from citywatch.backup import BackupError, restore_backup
translation.activate("zh-hans")
refusals = {}
for name in sys.argv[1:]:
    try:
        restore_backup(Path(name), force=True)
        refusals[name] = None
    except BackupError as error:
        refusals[name] = str(error)
print(json.dumps(refusals))
"""


def test_restore_refuses_damaged_files_and_the_other_engine_and_changes_nothing(demo, tmp_path):
    """Every kind of damage, and a backup of the other engine, is refused with its message; the instance
    is compared with the backed-up city once after all of them (a refusal that changed anything would
    show there: none of them may restore). The command line is tried on one damage and the engine; the
    other damages go through the same function in one process."""
    instance, archive, before = demo
    bad = {damage: damaged(archive, tmp_path / f"{damage}.tar.gz", damage) for damage in DAMAGES}
    result = instance.run("restore", bad["flipped-byte"], "--force", check=False)
    assert result.returncode != 0 and "备份文件已损坏" in result.stderr, result.stderr[-2000:]
    each = subprocess.run(
        [sys.executable, "-c", RESTORE_EACH, *map(str, bad.values())],
        env=instance.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert each.returncode == 0, each.stderr[-3000:]
    refusals = json.loads(each.stdout.strip().splitlines()[-1])
    for damage, path in bad.items():
        assert refusals[str(path)] and "备份文件已损坏" in refusals[str(path)], (damage, refusals)
    other = "spatialite" if ON_POSTGIS else "postgis"

    def other_engine(manifest):
        manifest["database"]["engine"] = other
        return manifest

    other_file = rewritten(archive, tmp_path / "other.tar.gz", manifest=other_engine)
    result = instance.run("restore", other_file, "--force", check=False)
    assert result.returncode != 0
    here, there = ("PostgreSQL/PostGIS", "SpatiaLite") if ON_POSTGIS else ("SpatiaLite", "PostgreSQL/PostGIS")
    assert f"{there} 数据库" in result.stderr and here in result.stderr, result.stderr
    assert instance.facts() == before
    assert not (instance.data.parent / "evil.txt").exists() and not (instance.data / "evil.txt").exists()


def test_the_archive_is_gzip_and_private(demo):
    _instance, archive, _facts = demo
    with gzip.open(archive) as handle:
        assert handle.read(512)
    assert archive.stat().st_mode & 0o077 == 0
