"""Warning events propose responses: every outbox message ``warning.*`` is considered by the plan's rule
as it is written (``post_save`` of ``notify.Message``), inside the transaction that issues, updates or
lifts the warning — so the proposal exists exactly when the warning event does (and is announced by it:
pages follow ``warning.*``), and the warnings app needs to know nothing of plans.

A proposal is advice: whatever goes wrong while making one (a bug, a plan being edited) is logged and
rolled back to a savepoint, and never stops the warning from being issued."""

import logging

from django.db import transaction
from django.db.models.signals import post_save

log = logging.getLogger("citywatch.response")


def on_message(sender, instance, created, raw=False, **kwargs):
    if not created or raw or not instance.kind.startswith("warning."):
        return
    from citywatch.response.actions.proposals import consider

    try:
        with transaction.atomic():
            consider(instance)
    except Exception:  # noqa: BLE001 - advice must never block the warning itself
        log.exception("event=proposal.failed message=%s kind=%s", instance.pk, instance.kind)


def connect():
    from citywatch.notify.models import Message

    post_save.connect(on_message, sender=Message, dispatch_uid="response.proposals")
