"""Every state change of the outbox: ``publish`` (apps call it), subscriptions (pages and API), and the
delivery worker's steps and a person's retry (``deliveries``)."""

from citywatch.notify.actions.deliveries import (
    backoff_seconds,
    claim_next,
    fan_out,
    fan_out_pending,
    hold,
    log_event,
    reclaim_stale,
    record,
    retry_delivery,
)
from citywatch.notify.actions.publish import PublishOutsideTransaction, publish, publish_many
from citywatch.notify.actions.subscriptions import (
    create_subscription,
    delete_subscription,
    rotate_secret,
    set_active,
    update_subscription,
)

__all__ = [
    "PublishOutsideTransaction",
    "backoff_seconds",
    "claim_next",
    "create_subscription",
    "delete_subscription",
    "fan_out",
    "fan_out_pending",
    "hold",
    "log_event",
    "publish",
    "publish_many",
    "reclaim_stale",
    "record",
    "retry_delivery",
    "rotate_secret",
    "set_active",
    "update_subscription",
]
