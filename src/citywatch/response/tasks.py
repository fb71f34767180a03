"""Background work of responses in ``citywatch worker``: every minute, overdue checklist actions are
escalated (once each; ``actions.escalate_overdue``)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def escalate_overdue_actions():
    from citywatch.core.changelog import acting_as
    from citywatch.core.choices import ChangeSource
    from citywatch.response import actions

    with acting_as(None, ChangeSource.WORKER):
        actions.escalate_overdue()
