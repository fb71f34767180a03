"""The outbox in the Django admin, for data stewards: read-only messages, deliveries and attempts (the
worker and the actions own them); subscriptions without their secret (pages and API manage them)."""

from django.contrib import admin

from citywatch.core.admin import ReadOnlyAdmin
from citywatch.notify.models import Delivery, DeliveryAttempt, Message, Subscription


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "subject",
        "area",
        "level",
        "exercise",
        "public",
        "created_at",
        "fanned_out_at",
    )
    list_filter = ("exercise", "public", "level")
    search_fields = ("kind", "subject")


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("name", "transport", "target", "area", "active", "public")
    list_filter = ("transport", "active", "public")
    search_fields = ("name", "target")
    exclude = ("secret",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "message", "subscription", "transport", "status", "attempts", "next_attempt_at")
    list_filter = ("status", "transport")


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    list_display = ("delivery", "number", "outcome", "response_status", "started_at", "worker")
    list_filter = ("outcome",)
