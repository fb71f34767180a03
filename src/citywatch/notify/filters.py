"""Filter sets of the outbox, used by the pages and the API alike."""

from __future__ import annotations

from django.db.models import Q
from ninja import FilterSchema
from pydantic import Field

from citywatch.core.filters import AwareTime, beneath_q
from citywatch.notify.choices import DeliveryStatus, Level

KIND_FILTER_PATTERN = r"^[a-z][a-z0-9_.]*\*?$"


def kind_q(value: str | None, lookup: str = "kind") -> Q:
    """An exact kind, or a prefix ending in ``*`` (``warning.*``)."""
    if not value:
        return Q()
    if value.endswith("*"):
        return Q(**{f"{lookup}__startswith": value[:-1]})
    return Q(**{lookup: value})


class MessageFilter(FilterSchema):
    kind: str | None = Field(
        None, max_length=64, pattern=KIND_FILTER_PATTERN, description="a kind, or a prefix ending in *"
    )
    hazard: str | None = Field(None, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")
    level: Level | None = None
    exercise: bool | None = None
    area: str | None = Field(
        None, max_length=12, pattern=r"^\d+$", description="area code: that area and below"
    )
    since: AwareTime = None
    until: AwareTime = None

    def filter_kind(self, value):
        return kind_q(value)

    def filter_area(self, value):
        return beneath_q(value, "area_path")

    def filter_since(self, value):
        return Q(created_at__gte=value) if value else Q()

    def filter_until(self, value):
        return Q(created_at__lt=value) if value else Q()


class SubscriptionFilter(FilterSchema):
    transport: str | None = Field(None, max_length=16, pattern=r"^[a-z]+$")
    active: bool | None = None
    q: str | None = Field(None, max_length=100, description="part of the name or the target")

    def filter_q(self, value):
        return Q(name__icontains=value) | Q(target__icontains=value) if value else Q()


class DeliveryFilter(FilterSchema):
    status: DeliveryStatus | None = None
    transport: str | None = Field(None, max_length=16, pattern=r"^[a-z]+$")
    kind: str | None = Field(
        None, max_length=64, pattern=KIND_FILTER_PATTERN, description="a kind, or a prefix ending in *"
    )
    subscription: int | None = Field(None, ge=1, le=2**62)
    message: int | None = Field(None, ge=1, le=2**62)

    def filter_kind(self, value):
        return kind_q(value, "message__kind")

    def filter_subscription(self, value):
        return Q(subscription_id=value) if value else Q()

    def filter_message(self, value):
        return Q(message_id=value) if value else Q()
