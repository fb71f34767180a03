"""``citywatch serve``: the production web server, started only when the instance is ready.

It checks what a server needs (the database answers, every migration is applied, the static files are
collected for this code) and refuses to start otherwise, saying what is missing and how to fix it: a
half-ready instance would answer 500 on every page. ``--prepare`` applies the migrations and collects
the static files first. Then it replaces itself with the server of ``citywatch.serving`` (uvicorn serving
``citywatch.asgi:application`` with ``--workers`` processes, default one per core, each listening on its
own socket of the port; the proxy rule of ``citywatch.proxies``; a bounded graceful shutdown).
The background worker runs beside it (``citywatch worker``).
"""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from citywatch.health import readiness

# Seconds open requests (and live streams) get to finish when the server is asked to stop.
GRACEFUL_SHUTDOWN_SECONDS = 5


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def problems(checks: dict) -> list[str]:
    """What is wrong, in words an operator can act on."""
    found = []
    database = checks.get("database", {})
    if not database.get("ok"):
        found.append(
            f"the database does not answer ({database.get('error', 'unknown error')}); "
            "check CITYWATCH_DATABASE_URL"
        )
    migrations = checks.get("migrations")
    if migrations is not None and not migrations.get("ok"):
        if "pending" in migrations:
            found.append(
                f"{migrations['pending']} database migrations are not applied: run `citywatch migrate`"
            )
        else:
            found.append(f"the migrations cannot be read ({migrations.get('error')})")
    static = checks.get("static", {})
    if not static.get("ok"):
        if static.get("missing"):
            found.append(
                f"{static['missing']} of {static['files']} static files are not collected "
                f"(e.g. {static['example']}) into {settings.STATIC_ROOT}: run `citywatch collectstatic`"
            )
        if static.get("stale"):
            found.append(
                f"{static['stale']} collected static files are older than their source (e.g. "
                f"{static['example']}; the code changed since): run `citywatch collectstatic`"
            )
        if "missing" not in static:
            found.append(f"the static files cannot be listed ({static.get('error')})")
    return found


def server_command(host: str, port: int, workers: int, *, access_log: bool = True) -> list[str]:
    """The production server (``citywatch.serving.run_server``: uvicorn, one listening socket per worker)."""
    command = [
        sys.executable,
        "-m",
        "citywatch.serving",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--graceful-shutdown",
        str(GRACEFUL_SHUTDOWN_SECONDS),
    ]
    if not access_log:
        command.append("--no-access-log")
    return command


class Command(BaseCommand):
    help = (
        "Check that the instance is ready (database, migrations, static files) and run the production "
        "web server (uvicorn, one process per core); --prepare migrates and collects static files first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=f"server processes (default: cores, here {default_workers()})",
        )
        parser.add_argument(
            "--prepare",
            action="store_true",
            help="apply migrations and collect static files before the checks (a fresh data directory)",
        )
        parser.add_argument("--check", action="store_true", help="only check readiness; exit 1 if not ready")
        parser.add_argument("--no-access-log", action="store_true", help="do not log every request")

    def handle(self, *args, host, port, workers, prepare, check, no_access_log, **options):
        workers = default_workers() if workers is None else workers
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        if prepare:
            self.stdout.write("Applying migrations and collecting static files…")
            call_command("migrate", interactive=False, verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
            self._forget_static_state()
        found = problems(readiness())
        if found:
            message = "CityWatch is not ready to serve:\n" + "\n".join(f"  - {p}" for p in found)
            message += "\n(on a fresh data directory `citywatch serve --prepare` does both steps)"
            raise CommandError(message)
        if settings.DEBUG:
            self.stderr.write("warning: CITYWATCH_DEBUG is on; never serve production like this")
        if check:
            self.stdout.write(f"CityWatch is ready to serve (data directory {settings.DATA_DIR})")
            return
        self.stdout.write(
            f"CityWatch ready: serving http://{host}:{port}/ with {workers} "
            f"process{'es' if workers > 1 else ''} (data directory {settings.DATA_DIR})"
        )
        self.stdout.flush()
        for connection in connections.all(initialized_only=True):
            connection.close()
        command = server_command(host, port, workers, access_log=not no_access_log)
        os.execv(command[0], command)  # noqa: S606 - our own interpreter, arguments built above

    @staticmethod
    def _forget_static_state():
        """The storage read the manifest before collectstatic wrote it: read it again."""
        from django.contrib.staticfiles.storage import staticfiles_storage

        from citywatch.health import static_sources

        staticfiles_storage._setup()
        static_sources.cache_clear()
