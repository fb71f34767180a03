"""One delivery per (message, subscription), and the log of its attempts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citywatch.core.models.base import AppendOnly, AppendOnlyQuerySet, RestrictedManager
from citywatch.notify.choices import AttemptOutcome, DeliveryStatus


class Delivery(models.Model):
    """A message on its way to one subscription: pending → sending → sent | failed | dead.

    Workers claim a delivery with a conditional UPDATE (``status`` in pending/failed and due), so no two
    workers send it at once; a claim older than ``CITYWATCH_NOTIFY_CLAIM_TIMEOUT_SECONDS`` is taken back
    (the worker stopped mid-send)."""

    message = models.ForeignKey(
        "notify.Message", verbose_name=_("message"), on_delete=models.PROTECT, related_name="deliveries"
    )
    subscription = models.ForeignKey(
        "notify.Subscription",
        verbose_name=_("subscription"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    transport = models.CharField(_("transport"), max_length=16, db_index=True)
    status = models.CharField(
        _("status"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    response_status = models.IntegerField(_("response status"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # A person sent a dead delivery back to the queue (POST …/retry): who and when, the last time.
    retried_at = models.DateTimeField(_("retried at"), null=True, blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("retried by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = RestrictedManager()

    jurisdiction_path = "message__area_path"

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "subscription"], name="notify_one_delivery_per_sub")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_delivery_due_idx")]

    def __str__(self):
        return f"#{self.pk} {self.message.kind} → {self.subscription.name}"


class DeliveryAttempt(AppendOnly):
    """One try at sending a delivery: when, by which worker, how long, and what came back. Written once."""

    append_only_label = "delivery log"

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField(_("attempt"))
    worker = models.CharField(_("worker"), max_length=100, blank=True)
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    outcome = models.CharField(_("outcome"), max_length=8, choices=AttemptOutcome.choices)
    response_status = models.IntegerField(_("response status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    jurisdiction_path = "delivery__message__area_path"

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["id"]

    def __str__(self):
        return f"{self.delivery_id}/{self.number} {self.outcome}"
