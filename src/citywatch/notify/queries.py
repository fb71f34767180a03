"""Read paths of the outbox. Every list starts from ``restrict(user, action)``; ``matches`` is the one
rule deciding which subscriptions a message goes to."""

from __future__ import annotations

from citywatch.notify.choices import level_rank
from citywatch.notify.models import Delivery, DeliveryAttempt, Message, Subscription


def messages_for(user, action: str = "view"):
    return Message.objects.restrict(user, action).select_related("area")


def subscriptions_for(user, action: str = "view"):
    return Subscription.objects.restrict(user, action).select_related("area", "owner")


def deliveries_for(user, action: str = "view"):
    return Delivery.objects.restrict(user, action).select_related("message__area", "subscription")


def attempts_of(delivery):
    return DeliveryAttempt.objects.filter(delivery=delivery).order_by("id")


def kind_matches(patterns, kind: str) -> bool:
    """``kind`` is one of ``patterns``, or starts with a pattern ending in ``.*`` (``warning.*``); no
    patterns take every kind."""
    if not patterns:
        return True
    return any(kind == p or (p.endswith(".*") and kind.startswith(p[:-1])) for p in patterns)


def matches(subscription: Subscription, message: Message) -> bool:
    """Whether ``message`` goes to ``subscription`` (see ``Subscription`` for the rule)."""
    if not subscription.active:
        return False
    if message.exercise and (subscription.public or not subscription.include_exercise):
        return False
    if subscription.public and not message.public:
        return False
    if not kind_matches(subscription.kinds, message.kind):
        return False
    if subscription.hazards and message.hazard not in subscription.hazards:
        return False
    if subscription.min_level and level_rank(message.level) < level_rank(subscription.min_level):
        return False
    return not subscription.area_path or (message.area_path or "").startswith(subscription.area_path)


def matching_subscriptions(message: Message) -> list[Subscription]:
    """The active subscriptions ``message`` goes to (the table is small: filtered here, by ``matches``)."""
    return [s for s in Subscription.objects.filter(active=True).order_by("id") if matches(s, message)]
