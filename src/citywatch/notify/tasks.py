"""Background work of the outbox in ``citywatch worker``: every minute a task delivers notifications for
most of that minute (rounds with a short pause, as ``citywatch deliver`` does), so the demo needs no extra
process. Running ``citywatch deliver`` beside it is safe (claims); set ``CITYWATCH_NOTIFY_IN_WORKER=false``
to leave delivery to it alone."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

# Shorter than the minute between two runs, so that one worker thread at most is busy delivering.
TASK_SECONDS = 50


@db_periodic_task(crontab(minute="*"))
def deliver_notifications():
    if not settings.CITYWATCH_NOTIFY_IN_WORKER:
        return
    from citywatch.notify import worker

    worker.run(f"huey-{worker.default_worker_id()}", seconds=TASK_SECONDS)
