"""Background work of warnings in ``citywatch worker``: every minute, warnings past their expiry become
expired and the proposals are computed from the newest readings (after the minute's ingestion); every
``CITYWATCH_CAP_POLL_MINUTES`` the official CAP feeds are polled."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def expire_and_propose():
    from citywatch.warnings import actions

    actions.expire_due()
    actions.compute_proposals()


@db_periodic_task(crontab(minute="*"))
def poll_cap_feeds():
    from django.utils import timezone

    from citywatch.warnings.actions.feeds import poll_feeds

    minutes = max(1, settings.CITYWATCH_CAP_POLL_MINUTES)
    if timezone.now().minute % minutes == 0:
        poll_feeds()
