"""``/healthz``: database, migrations, static files and worker heartbeat as JSON; 200 when all are well,
else 503. ``/livez``: the process answers (nothing checked; the benchmarks' trivial endpoint).

The same checks tell ``citywatch serve`` whether the instance is ready (``readiness()``): it refuses to
start a server that would answer 500 on every page.

Static files: with the production storage (whitenoise's manifest storage) every file the finders know
must be in the manifest this process loaded, and no collected file may be older than its source (the
code was upgraded after the last ``collectstatic``: pages would load the old scripts). A page naming a
file that is missing from the manifest answers 500, and both the storage and whitenoise read the
collected files once, at start-up: after a late ``citywatch collectstatic`` the process must be
restarted, and until then this check says so. Other storages (``DEBUG``, the test suite) are reported
as not checked.
"""

import functools

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.functional import empty
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def check_database() -> dict:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means the database is not usable
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "engine": connections[DEFAULT_DB_ALIAS].vendor}


def check_migrations() -> dict:
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": not pending, "pending": len(pending)}


@functools.cache
def static_entries() -> tuple[tuple[str, object], ...]:
    """Every static file the finders know (the apps' and the vendored packages') with the storage it is
    found in, read once per process: they are part of the installed code."""
    from django.contrib.staticfiles.finders import get_finders

    found = {}
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            found.setdefault(path.replace("\\", "/"), storage)
    return tuple(sorted(found.items()))


def static_sources() -> tuple[str, ...]:
    return tuple(path for path, _storage in static_entries())


static_sources.cache_clear = static_entries.cache_clear  # ``serve`` forgets what it read


def stale_static(entries, root) -> list[str]:
    """The collected files under ``root`` older than their source (the code changed after the last
    ``collectstatic``: a page would load yesterday's script), by collectstatic's own rule (it copies a
    file again when its source is newer)."""
    import os

    stale = []
    for path, storage in entries:
        target = os.path.join(root, path)
        try:
            collected = os.stat(target).st_mtime
        except FileNotFoundError:
            continue  # missing files are counted as missing
        if storage.get_modified_time(path).timestamp() > collected:
            stale.append(path)
    return stale


def check_static() -> dict:
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    if staticfiles_storage._wrapped is empty:  # the lazy object is set up at its first use
        staticfiles_storage._setup()
    storage = staticfiles_storage._wrapped
    if not isinstance(storage, ManifestFilesMixin):
        return {"ok": True, "checked": False, "storage": storage.__class__.__name__}
    try:
        sources = static_sources()
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": exc.__class__.__name__}
    known = storage.hashed_files
    missing = [path for path in sources if path not in known]
    stale = stale_static(static_entries(), settings.STATIC_ROOT)
    result = {
        "ok": not missing and not stale,
        "checked": True,
        "files": len(sources),
        "missing": len(missing),
        "stale": len(stale),
    }
    if missing or stale:
        result["example"] = (missing or stale)[0]
        result["hint"] = "run `citywatch collectstatic` (or `citywatch serve --prepare`), then restart"
    return result


def check_worker() -> dict:
    from citywatch.core.models import WorkerHeartbeat
    from citywatch.core.tasks import HEARTBEAT_NAME

    try:
        beat = WorkerHeartbeat.objects.filter(name=HEARTBEAT_NAME).first()
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": exc.__class__.__name__}
    if beat is None:
        return {"ok": False, "last_heartbeat": None, "age_s": None}
    age = (timezone.now() - beat.beat_at).total_seconds()
    return {
        "ok": age <= settings.CITYWATCH_HEARTBEAT_MAX_AGE,
        "last_heartbeat": beat.beat_at.isoformat(),
        "age_s": round(age, 1),
        "max_age_s": settings.CITYWATCH_HEARTBEAT_MAX_AGE,
    }


@never_cache
@require_GET
@login_not_required
def healthz(request):
    checks = {"database": check_database(), "static": check_static()}
    if checks["database"]["ok"]:
        checks["migrations"] = check_migrations()
        checks["worker"] = check_worker()
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


def readiness() -> dict:
    """What must hold before a server starts (the worker may start after it): database, migrations,
    static files."""
    checks = {"database": check_database(), "static": check_static()}
    if checks["database"]["ok"]:
        checks["migrations"] = check_migrations()
    return checks


@never_cache
@require_GET
@login_not_required
def livez(request):
    return HttpResponse(b'{"status":"ok"}', content_type="application/json")
