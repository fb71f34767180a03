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
    return area_matches(subscription.area_path, message)


def area_matches(sub_path: str, message: Message) -> bool:
    """A subscription without an area takes every area; one with an area takes the messages about that
    area or below, and the messages about a wider area that concern it: a wider area's message that names
    no areas of its own (a city's response, a city-wide warning), or names one in, above or below the
    subscription's area (a warning for 思明区 and 湖里区 has the city as its area and goes to 思明区's
    subscribers, not to 同安区's)."""
    if not sub_path:
        return True
    path = message.area_path or ""
    if path.startswith(sub_path):
        return True
    if not path or not sub_path.startswith(path):
        return False
    named = named_paths(message)
    return not named or any(p.startswith(sub_path) or sub_path.startswith(p) for p in named)


def named_paths(message: Message) -> list[str]:
    """The area paths of the areas a message names (``payload["area_codes"]``, a warning's), read once
    per message."""
    kept = getattr(message, "_named_paths", None)
    if kept is None:
        from citywatch.core.models import AdminArea

        payload = message.payload if isinstance(message.payload, dict) else {}
        codes = [str(c) for c in payload.get("area_codes") or [] if isinstance(c, (str, int))]
        kept = list(AdminArea.objects.filter(code__in=codes).values_list("path", flat=True)) if codes else []
        message._named_paths = kept
    return kept


def matching_subscriptions(message: Message) -> list[Subscription]:
    """The active subscriptions ``message`` goes to (the table is small: filtered here, by ``matches``)."""
    return [s for s in Subscription.objects.filter(active=True).order_by("id") if matches(s, message)]
