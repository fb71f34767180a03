"""Background tasks of the core app."""

import os
import socket

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

HEARTBEAT_NAME = "worker"


def write_heartbeat(name: str = HEARTBEAT_NAME):
    from citywatch.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        name=name,
        defaults={"beat_at": timezone.now(), "hostname": socket.gethostname()[:200], "pid": os.getpid()},
    )


@on_startup()
def heartbeat_on_startup():
    write_heartbeat()


@db_periodic_task(crontab(minute="*"))
def heartbeat():
    """Runs every minute in the worker; /healthz reads its time."""
    write_heartbeat()


@db_task()
def ping():
    """A queued task that proves the queue round-trips (used by ``citywatch worker --check``)."""
    write_heartbeat()
    return "pong"
