"""The monitoring hub's background work in ``citywatch worker``: every minute, stale stations become alarms
(and clear when they report again), no-data rules are evaluated and the pull adapters that are due are
polled; every hour, PostgreSQL partitions are created ahead and expired ones dropped."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, on_startup

from citywatch.core.changelog import acting_as
from citywatch.core.choices import ChangeSource

log = logging.getLogger(__name__)


def minute() -> dict:
    from citywatch.monitoring import adapters
    from citywatch.monitoring.actions import alarms, rules

    with acting_as(None, ChangeSource.WORKER):
        opened, cleared = alarms.check_stale()
        no_data = rules.evaluate_no_data()
        pulled = adapters.poll_due()
    return {
        "stale_opened": opened,
        "stale_cleared": cleared,
        "no_data_transitions": no_data,
        "pulled": pulled,
    }


def housekeeping() -> dict:
    from citywatch.monitoring.actions import partitions

    return {"created": partitions.create_ahead(), "dropped": partitions.drop_expired()}


@on_startup()
def partitions_on_startup():
    try:
        housekeeping()
    except Exception:  # noqa: BLE001 - the worker must start even if the database is not ready yet
        log.exception("monitoring: could not prepare the observation partitions")


@db_periodic_task(crontab(minute="*"))
def monitoring_minute():
    minute()


@db_periodic_task(crontab(minute="7"))
def monitoring_partitions():
    housekeeping()
