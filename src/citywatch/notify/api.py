"""The outbox's API under /api/v1/notify/: messages (read), subscriptions (the secret only in the answer
to a creation or a rotation), deliveries and their attempts, and a person's retry of a dead one."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from citywatch.core import access
from citywatch.core.api import AreaRef
from citywatch.core.pagination import PageParams, page, paged
from citywatch.notify import actions, queries, transports
from citywatch.notify.choices import DeliveryStatus
from citywatch.notify.filters import DeliveryFilter, MessageFilter, SubscriptionFilter
from citywatch.notify.models import Delivery, Message, Subscription

router = Router(tags=["notify"])

MAX_ID = 2**62
TransportKey = Literal[tuple(transports.TRANSPORTS)]  # type: ignore[valid-type]
LevelOrNone = Literal["", "blue", "yellow", "orange", "red"]


def _id(description: str):
    return Path(..., ge=1, le=MAX_ID, description=description)


class ObjectRef(Schema):
    type: str = Field(description="app_label.model of the object the event is about")
    id: str


class MessageOut(Schema):
    id: int
    kind: str = Field(description="dotted event kind, e.g. warning.issued")
    created_at: datetime.datetime
    area: AreaRef | None
    hazard: str
    level: str = Field(description="blue, yellow, orange, red, or '' for none")
    exercise: bool = Field(description="a drill (演练): never sent to public transports")
    public: bool
    subject: str
    body: str
    payload: dict[str, Any] = Field(description="the publishing app's JSON object")
    object: ObjectRef | None
    fanned_out_at: datetime.datetime | None = Field(description="when the worker made its deliveries")

    @staticmethod
    def resolve_area(message: Message):
        return message.area if message.area_id else None

    @staticmethod
    def resolve_object(message: Message):
        return message.envelope()["object"]


class StatusCount(Schema):
    status: str
    count: int


class MessageDetail(MessageOut):
    deliveries: list[StatusCount] = Field(description="deliveries you may see, by status")

    @staticmethod
    def resolve_deliveries(message: Message, context):
        request = context["request"]
        counts = {}
        for status in (
            queries.deliveries_for(request.user).filter(message=message).values_list("status", flat=True)
        ):
            counts[status] = counts.get(status, 0) + 1
        return [{"status": s, "count": counts[s]} for s in DeliveryStatus.values if s in counts]


class SubscriptionOut(Schema):
    id: int
    name: str
    transport: str
    transport_label: str
    target: str = Field(description="MQTT topic template, webhook URL or e-mail addresses")
    kinds: list[str] = Field(description="event kinds or prefixes such as warning.*; empty: all")
    hazards: list[str] = Field(description="empty: all")
    min_level: str = Field(description="'' for any; otherwise messages without a level do not match")
    area: AreaRef | None = Field(description="messages in this area and below; null: every area")
    include_exercise: bool
    public: bool = Field(description="a public transport: only public messages, never exercises")
    active: bool
    owner: str | None
    signed: bool = Field(description="deliveries carry an HMAC-SHA256 signature (webhooks)")
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_area(sub: Subscription):
        return sub.area if sub.area_id else None

    @staticmethod
    def resolve_owner(sub: Subscription) -> str | None:
        return sub.owner.display_name if sub.owner_id else None

    @staticmethod
    def resolve_signed(sub: Subscription) -> bool:
        return bool(sub.secret)


class SubscriptionCreated(SubscriptionOut):
    secret: str | None = Field(description="the signing secret: shown in this answer only, never again")


class SubscriptionIn(Schema):
    name: str = Field(max_length=100)
    transport: TransportKey
    target: str = Field(max_length=1000)
    secret: str | None = Field(
        None, max_length=128, description="webhooks: your own secret; default generated"
    )
    kinds: list[str] = Field(default_factory=list, max_length=50)
    hazards: list[str] = Field(default_factory=list, max_length=50)
    min_level: LevelOrNone = ""
    area: str | None = Field(
        None, max_length=12, description="area code; null for every area (city-wide users)"
    )
    include_exercise: bool = False
    public: bool = False
    active: bool = True


class SubscriptionPatch(Schema):
    name: str | None = Field(None, max_length=100)
    target: str | None = Field(None, max_length=1000)
    kinds: list[str] | None = Field(None, max_length=50)
    hazards: list[str] | None = Field(None, max_length=50)
    min_level: LevelOrNone | None = None
    area: str | None = Field(None, max_length=12, description="area code; '' for every area")
    include_exercise: bool | None = None
    public: bool | None = None
    active: bool | None = None


class SecretOut(Schema):
    secret: str = Field(description="the new signing secret: shown in this answer only")


class MessageRef(Schema):
    id: int
    kind: str
    subject: str
    exercise: bool
    area: AreaRef | None

    @staticmethod
    def resolve_area(message: Message):
        return message.area if message.area_id else None


class SubscriptionRef(Schema):
    id: int
    name: str


class DeliveryOut(Schema):
    id: int
    message: MessageRef
    subscription: SubscriptionRef
    transport: str
    status: str = Field(description="pending, sending, sent, failed (will retry) or dead")
    status_label: str
    attempts: int = Field(description="attempts since it was made or last retried by a person")
    next_attempt_at: datetime.datetime
    claimed_by: str
    claimed_at: datetime.datetime | None
    sent_at: datetime.datetime | None
    last_error: str
    response_status: int | None
    created_at: datetime.datetime
    retried_at: datetime.datetime | None

    @staticmethod
    def resolve_status_label(delivery: Delivery) -> str:
        return str(delivery.get_status_display())


class AttemptOut(Schema):
    number: int
    worker: str
    started_at: datetime.datetime
    duration_ms: int
    outcome: str
    response_status: int | None
    error: str


class DeliveryDetail(DeliveryOut):
    log: list[AttemptOut] = Field(description="every attempt, oldest first")

    @staticmethod
    def resolve_log(delivery: Delivery):
        return list(queries.attempts_of(delivery))


# --- Messages ----------------------------------------------------------------------------------------


@router.get("/notify/messages", response=paged(MessageOut), summary="Outbox messages in your jurisdiction")
def list_messages(request: HttpRequest, filters: Query[MessageFilter], paging: Query[PageParams]):
    access.require(request.user, Message, "view")
    return page(filters.filter(queries.messages_for(request.user)), paging)


@router.get("/notify/messages/{pk}", response=MessageDetail, summary="One outbox message")
def get_message(request: HttpRequest, pk: int = _id("message id")):
    return access.get_for(request.user, queries.messages_for(request.user), pk=pk)


# --- Subscriptions -----------------------------------------------------------------------------------


@router.get("/notify/subscriptions", response=paged(SubscriptionOut), summary="Subscriptions")
def list_subscriptions(request: HttpRequest, filters: Query[SubscriptionFilter], paging: Query[PageParams]):
    access.require(request.user, Subscription, "view")
    return page(filters.filter(queries.subscriptions_for(request.user)), paging)


@router.post("/notify/subscriptions", response={201: SubscriptionCreated}, summary="Make a subscription")
def create_subscription(request: HttpRequest, payload: SubscriptionIn):
    """The answer carries the webhook's signing secret; it is never shown again (rotate it if lost)."""
    subscription, secret = actions.create_subscription(request.user, payload.dict())
    subscription.secret = secret or None  # the answer's copy; the stored row keeps its secret
    return Status(201, subscription)


@router.get("/notify/subscriptions/{pk}", response=SubscriptionOut, summary="One subscription")
def get_subscription(request: HttpRequest, pk: int = _id("subscription id")):
    return access.get_for(request.user, queries.subscriptions_for(request.user), pk=pk)


@router.patch("/notify/subscriptions/{pk}", response=SubscriptionOut, summary="Change a subscription")
def patch_subscription(request: HttpRequest, payload: SubscriptionPatch, pk: int = _id("subscription id")):
    subscription = access.get_for(request.user, queries.subscriptions_for(request.user), "change", pk=pk)
    changed = actions.update_subscription(request.user, subscription, payload.dict(exclude_unset=True))
    return queries.subscriptions_for(request.user).get(pk=changed.pk)


@router.delete(
    "/notify/subscriptions/{pk}", response={204: None}, summary="Delete a subscription that has no deliveries"
)
def delete_subscription(request: HttpRequest, pk: int = _id("subscription id")):
    """One with deliveries answers 409: switch it off (PATCH ``active: false``) instead."""
    subscription = access.get_for(request.user, queries.subscriptions_for(request.user), "delete", pk=pk)
    actions.delete_subscription(request.user, subscription)
    return HttpResponse(status=204)


@router.post(
    "/notify/subscriptions/{pk}/rotate-secret", response=SecretOut, summary="A new signing secret (webhooks)"
)
def rotate_secret(request: HttpRequest, pk: int = _id("subscription id")):
    subscription = access.get_for(request.user, queries.subscriptions_for(request.user), "change", pk=pk)
    return {"secret": actions.rotate_secret(request.user, subscription)}


# --- Deliveries --------------------------------------------------------------------------------------


@router.get("/notify/deliveries", response=paged(DeliveryOut), summary="The delivery log")
def list_deliveries(request: HttpRequest, filters: Query[DeliveryFilter], paging: Query[PageParams]):
    access.require(request.user, Delivery, "view")
    return page(filters.filter(queries.deliveries_for(request.user)), paging)


@router.get("/notify/deliveries/{pk}", response=DeliveryDetail, summary="One delivery and its attempts")
def get_delivery(request: HttpRequest, pk: int = _id("delivery id")):
    return access.get_for(request.user, queries.deliveries_for(request.user), pk=pk)


@router.post("/notify/deliveries/{pk}/retry", response=DeliveryOut, summary="Send a dead delivery again")
def retry_delivery(request: HttpRequest, pk: int = _id("delivery id")):
    """Only a dead delivery (409 otherwise): back to pending, due now, with a fresh count of attempts."""
    delivery = access.get_for(request.user, queries.deliveries_for(request.user), "change", pk=pk)
    return actions.retry_delivery(request.user, delivery)
