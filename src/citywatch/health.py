"""``/healthz``: database, migrations and worker heartbeat as JSON; 200 when all are well, else 503."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.utils import timezone
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
    checks = {"database": check_database()}
    if checks["database"]["ok"]:
        checks["migrations"] = check_migrations()
        checks["worker"] = check_worker()
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )
