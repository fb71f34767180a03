"""The delivery worker's steps, each a small transaction or one conditional UPDATE (Healthchecks'
``sendalerts`` is the model): fan a message out, claim a due delivery, record what an attempt came to,
take back claims of workers that stopped mid-send; and a person's retry of a dead delivery.

Exactly-once fan-out: a worker stamps ``Message.fanned_out_at`` with ``UPDATE … WHERE fanned_out_at IS
NULL`` and writes the deliveries in the same transaction; a second worker's UPDATE finds the stamp (on
PostgreSQL it waits for the first one's row lock, then re-reads) and does nothing. A unique constraint on
(message, subscription) backs it up. Claiming a delivery is ``UPDATE … SET status='sending', claimed_by,
claimed_at WHERE id=… AND status IN ('pending','failed') AND next_attempt_at <= now``: one row or none.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch.core import access
from citywatch.core.errors import Conflict
from citywatch.notify import queries
from citywatch.notify.choices import CLAIMABLE, AttemptOutcome, DeliveryStatus
from citywatch.notify.models import Delivery, DeliveryAttempt, Message
from citywatch.notify.transports import Outcome, clip

log = logging.getLogger("citywatch.notify")


def log_event(event: str, level: int = logging.INFO, **fields) -> None:
    """One structured log line, ``event=… key=value …`` (logfmt; values with spaces are quoted, None
    values left out)."""
    parts = [f"event={event}"]
    for key, value in fields.items():
        if value is None:
            continue
        text = str(value)
        if not text or any(c.isspace() or c in '"=' for c in text):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
        parts.append(f"{key}={text}")
    log.log(level, " ".join(parts))


def backoff_seconds(failures: int, rng: random.Random | None = None) -> float:
    """The pause after the ``failures``-th failed attempt: base × 2^(failures-1), capped, with jitter
    (uniformly between half of it and all of it, so workers that failed together do not retry together)."""
    base = settings.CITYWATCH_NOTIFY_RETRY_BASE_SECONDS
    cap = settings.CITYWATCH_NOTIFY_RETRY_MAX_SECONDS
    delay = min(cap, base * 2 ** max(0, min(failures, 64) - 1))
    return delay / 2 + (rng or random).uniform(0, delay / 2)


def fan_out(message_id: int, worker_id: str, now=None) -> int | None:
    """Make the deliveries of one message, once: their number, or None when another worker has."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Message.objects.filter(pk=message_id, fanned_out_at__isnull=True).update(
            fanned_out_at=now, fanned_out_by=worker_id[:100]
        )
        if claimed != 1:
            return None
        message = Message.objects.select_related("area").get(pk=message_id)
        subscriptions = queries.matching_subscriptions(message)
        Delivery.objects.bulk_create(
            [
                Delivery(
                    message=message,
                    subscription=s,
                    transport=s.transport,
                    next_attempt_at=now,
                    created_at=now,
                )
                for s in subscriptions
            ]
        )
    log_event(
        "message.fanned_out",
        level=logging.DEBUG,
        message=message.pk,
        kind=message.kind,
        deliveries=len(subscriptions),
        worker=worker_id,
    )
    return len(subscriptions)


def fan_out_pending(worker_id: str, now=None, limit: int = 200) -> tuple[int, int]:
    """Fan out the messages nobody has yet (oldest first): (messages, deliveries made)."""
    ids = list(
        Message.objects.filter(fanned_out_at__isnull=True).order_by("id").values_list("id", flat=True)[:limit]
    )
    messages = deliveries = 0
    for pk in ids:
        made = fan_out(pk, worker_id, now)
        if made is not None:
            messages += 1
            deliveries += made
    return messages, deliveries


def hold(transport: str, reason: str) -> int:
    """A transport that cannot send now (not configured): its waiting deliveries stay as they are, saying
    why; no attempt is counted."""
    return (
        Delivery.objects.filter(transport=transport, status__in=CLAIMABLE)
        .exclude(last_error=reason)
        .update(last_error=reason)
    )


def claim_next(worker_id: str, now, transports) -> Delivery | None:
    """Claim one due delivery of ``transports`` for ``worker_id`` (conditional UPDATE), or None."""
    candidates = list(
        Delivery.objects.filter(
            status__in=CLAIMABLE,
            next_attempt_at__lte=now,
            transport__in=list(transports),
            subscription__active=True,
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:20]
    )
    for pk in candidates:
        won = Delivery.objects.filter(pk=pk, status__in=CLAIMABLE, next_attempt_at__lte=now).update(
            status=DeliveryStatus.SENDING,
            claimed_by=worker_id[:100],
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
        if won == 1:
            return Delivery.objects.select_related("message__area", "subscription").get(pk=pk)
    return None


def record(delivery: Delivery, outcome: Outcome, worker_id: str, started_at, duration_ms: int, now=None):
    """Write what an attempt came to: sent; failed with the next attempt after back-off; or dead (a
    permanent refusal, or the last attempt). Returns the new status, or None when the claim had been
    taken back meanwhile (the attempt is logged all the same)."""
    now = now or timezone.now()
    attempt = delivery.attempts
    if outcome.ok:
        status, changes = DeliveryStatus.SENT, {"sent_at": now, "last_error": ""}
    elif outcome.permanent or attempt >= settings.CITYWATCH_NOTIFY_MAX_ATTEMPTS:
        status, changes = DeliveryStatus.DEAD, {"last_error": outcome.error}
    else:
        pause = backoff_seconds(attempt)
        if outcome.retry_after:
            pause = max(pause, min(outcome.retry_after, settings.CITYWATCH_NOTIFY_RETRY_MAX_SECONDS))
        status = DeliveryStatus.FAILED
        changes = {"last_error": outcome.error, "next_attempt_at": now + timedelta(seconds=pause)}
    with transaction.atomic():
        updated = Delivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_by=worker_id[:100]
        ).update(
            status=status, claimed_by="", claimed_at=None, response_status=outcome.response_status, **changes
        )
        DeliveryAttempt.objects.create(
            delivery_id=delivery.pk,
            number=DeliveryAttempt.objects.filter(delivery_id=delivery.pk).count() + 1,
            worker=worker_id[:100],
            started_at=started_at,
            duration_ms=max(0, min(duration_ms, 2**31 - 1)),
            outcome=AttemptOutcome(status.value) if status != DeliveryStatus.SENT else AttemptOutcome.SENT,
            response_status=outcome.response_status,
            error=clip(outcome.error),
        )
    log_event(
        f"delivery.{status.value}",
        # Each one sent is routine (the round's line counts them); a failure is news.
        level=logging.DEBUG if outcome.ok else logging.WARNING,
        delivery=delivery.pk,
        message=delivery.message_id,
        kind=delivery.message.kind,
        subscription=delivery.subscription_id,
        transport=delivery.transport,
        attempt=attempt,
        response=outcome.response_status,
        ms=duration_ms,
        next=changes.get("next_attempt_at", "").isoformat() if status == DeliveryStatus.FAILED else None,
        error=outcome.error or None,
        worker=worker_id,
        stale_claim=None if updated else "yes",
    )
    return status if updated else None


def reclaim_stale(now=None, limit: int = 100) -> int:
    """Take back deliveries claimed longer ago than the claim timeout (their worker stopped mid-send): each
    becomes failed (due now) or, after its last attempt, dead; the lost attempt is logged."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.CITYWATCH_NOTIFY_CLAIM_TIMEOUT_SECONDS)
    stale = list(
        Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=cutoff).values(
            "id", "attempts", "claimed_by", "claimed_at"
        )[:limit]
    )
    taken = 0
    for row in stale:
        dead = row["attempts"] >= settings.CITYWATCH_NOTIFY_MAX_ATTEMPTS
        # Said to people (the delivery log): no worker id (the attempt row, the log and the API keep it).
        error = _("sending was cut off: the delivery process stopped mid-send (started %(time)s)") % {
            "time": timezone.localtime(row["claimed_at"]).strftime("%Y-%m-%d %H:%M:%S"),
        }
        with transaction.atomic():
            n = Delivery.objects.filter(
                pk=row["id"], status=DeliveryStatus.SENDING, claimed_at=row["claimed_at"]
            ).update(
                status=DeliveryStatus.DEAD if dead else DeliveryStatus.FAILED,
                claimed_by="",
                claimed_at=None,
                next_attempt_at=now,
                last_error=error,
            )
            if n != 1:
                continue
            DeliveryAttempt.objects.create(
                delivery_id=row["id"],
                number=DeliveryAttempt.objects.filter(delivery_id=row["id"]).count() + 1,
                worker=row["claimed_by"],
                started_at=row["claimed_at"],
                outcome=AttemptOutcome.LOST,
                error=error,
            )
        taken += 1
        log_event(
            "delivery.reclaimed",
            level=logging.WARNING,
            delivery=row["id"],
            worker=row["claimed_by"],
            dead=dead,
        )
    return taken


@transaction.atomic
def retry_delivery(user, delivery: Delivery) -> Delivery:
    """Send a dead delivery again: back to pending, due now, with a fresh count of attempts (the attempt
    log keeps the earlier ones). Anything but a dead delivery is a 409."""
    access.require(user, Delivery, "change")
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if locked.status != DeliveryStatus.DEAD:
        raise Conflict(
            _("Only a dead delivery can be retried; this one is %(status)s.")
            % {"status": locked.get_status_display()}
        )
    if not locked.subscription.active:
        raise Conflict(_("The subscription is switched off; switch it on before retrying."))
    now = timezone.now()
    Delivery.objects.filter(pk=locked.pk).update(
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        claimed_by="",
        claimed_at=None,
        retried_at=now,
        retried_by=user,
    )
    log_event("delivery.retried", delivery=locked.pk, user=user.username)
    return queries.deliveries_for(user).get(pk=locked.pk)
