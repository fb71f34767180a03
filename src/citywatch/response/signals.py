"""Warning events propose responses: every outbox message ``warning.*`` is considered by the plan's rule
as it is written (``post_save`` of ``notify.Message``), inside the transaction that issues, updates or
lifts the warning — so the proposal and its ``response.proposed`` notification exist exactly when the
warning event does, and the warnings app needs to know nothing of plans."""

from django.db.models.signals import post_save


def on_message(sender, instance, created, raw=False, **kwargs):
    if not created or raw or not instance.kind.startswith("warning."):
        return
    from citywatch.response.actions.proposals import consider

    consider(instance)


def connect():
    from citywatch.notify.models import Message

    post_save.connect(on_message, sender=Message, dispatch_uid="response.proposals")
