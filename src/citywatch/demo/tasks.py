"""The demo's background work in ``citywatch worker``: with ``CITYWATCH_DEMO_LIVE_FEED`` (``citywatch demo``
sets it for its worker), the synthetic stations' light live feed every minute (``demo.live``)."""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def demo_live_feed():
    if not settings.CITYWATCH_DEMO_LIVE_FEED:
        return
    from citywatch.core.changelog import acting_as
    from citywatch.core.choices import ChangeSource
    from citywatch.demo import live

    with acting_as(None, ChangeSource.WORKER):
        totals = live.feed()
    # A minute's quiet readings are routine (DEBUG); a rejected one is news.
    level = logging.WARNING if totals["rejected"] else logging.DEBUG
    log.log(level, "event=demo.live_feed accepted=%s rejected=%s", totals["accepted"], totals["rejected"])
