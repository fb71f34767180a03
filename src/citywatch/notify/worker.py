"""The delivery worker: rounds of fan-out and delivery, run by ``citywatch deliver`` and by the periodic
task in ``citywatch worker``. Any number may run at once (on one machine or several): every step claims
its work with a conditional UPDATE (see ``actions.deliveries``).

A round: take back stale claims; fan out new messages; note the transports that cannot send now (their
deliveries wait, saying why); then claim and send due deliveries one at a time until none is due. Nothing
a transport does stops the worker: an exception is a failed attempt, retried with back-off.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone, translation

from citywatch.notify import actions, transports
from citywatch.notify.choices import DeliveryStatus
from citywatch.notify.transports import Outcome

log = logging.getLogger("citywatch.notify")


def default_worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Round:
    reclaimed: int = 0
    messages: int = 0
    deliveries: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    waiting: dict[str, str] = field(default_factory=dict)  # transport → why it cannot send now

    @property
    def busy(self) -> bool:
        return bool(self.messages or self.sent or self.failed or self.dead or self.reclaimed)


def run_once(worker_id: str | None = None, *, now=None, limit: int = 500) -> Round:
    """One round. ``now`` fixes the clock (tests); ``limit`` bounds the deliveries sent in it."""
    worker_id = worker_id or default_worker_id()
    clock = (lambda: now) if now is not None else timezone.now
    result = Round()
    with translation.override(settings.LANGUAGE_CODE):
        result.reclaimed = actions.reclaim_stale(clock())
        result.messages, result.deliveries = actions.fan_out_pending(worker_id, clock())
        usable = {}
        for key, transport in transports.TRANSPORTS.items():
            reason = transport.unavailable()
            if reason:
                result.waiting[key] = reason
                actions.hold(key, reason)
            else:
                usable[key] = transport
        senders: dict[str, transports.Sender] = {}
        try:
            for _ in range(limit):
                delivery = actions.claim_next(worker_id, clock(), usable)
                if delivery is None:
                    break
                status = _attempt(delivery, usable, senders, worker_id, now)
                if status == DeliveryStatus.SENT:
                    result.sent += 1
                elif status == DeliveryStatus.DEAD:
                    result.dead += 1
                elif status == DeliveryStatus.FAILED:
                    result.failed += 1
        finally:
            for sender in senders.values():
                try:
                    sender.close()
                except Exception:  # noqa: BLE001 - closing a broken connection must not stop the worker
                    log.warning("event=transport.close_failed", exc_info=True)
    if result.busy:
        actions.log_event(
            "round",
            worker=worker_id,
            messages=result.messages,
            deliveries=result.deliveries,
            sent=result.sent,
            failed=result.failed,
            dead=result.dead,
            reclaimed=result.reclaimed,
        )
    return result


def _attempt(delivery, usable, senders, worker_id: str, now):
    key = delivery.transport
    started_at = timezone.now()
    start = time.monotonic()
    try:
        sender = senders.get(key)
        if sender is None:
            sender = senders[key] = usable[key].open(worker_id)
        outcome = sender.send(delivery.message, delivery.subscription, delivery)
        if not isinstance(outcome, Outcome):
            outcome = Outcome.retry(f"transport {key} answered {type(outcome).__name__}, not an outcome")
    except Exception as exc:  # noqa: BLE001 - a transport's bug is a failed attempt, never a stopped worker
        log.exception("event=transport.error delivery=%s transport=%s", delivery.pk, key)
        outcome = Outcome.retry(f"{type(exc).__name__}: {exc}")
        broken = senders.pop(key, None)
        if broken is not None:
            try:
                broken.close()
            except Exception:  # noqa: BLE001
                log.warning("event=transport.close_failed", exc_info=True)
    duration_ms = int((time.monotonic() - start) * 1000)
    return actions.record(delivery, outcome, worker_id, started_at, duration_ms, now)


def run(
    worker_id: str | None = None, *, seconds: float | None = None, stop: threading.Event | None = None
) -> None:
    """Rounds until ``stop`` is set or ``seconds`` have passed, pausing ``CITYWATCH_NOTIFY_POLL_SECONDS``
    when a round found nothing to do. A round that fails (the database went away) is logged and the
    next one tries again."""
    worker_id = worker_id or default_worker_id()
    stop = stop or threading.Event()
    deadline = None if seconds is None else time.monotonic() + seconds
    # A periodic task runs a worker a minute at a time: its start and stop are routine.
    actions.log_event("worker.started", level=logging.DEBUG, worker=worker_id)
    while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
        _fresh_connection()
        try:
            busy = run_once(worker_id).busy
        except Exception:  # noqa: BLE001 - log, wait, try again
            log.exception("event=round.failed worker=%s", worker_id)
            busy = False
        if not busy:
            pause = settings.CITYWATCH_NOTIFY_POLL_SECONDS
            if deadline is not None:
                pause = min(pause, max(0.0, deadline - time.monotonic()))
            stop.wait(pause)
    _fresh_connection()
    actions.log_event("worker.stopped", level=logging.DEBUG, worker=worker_id)


def _fresh_connection() -> None:
    # A long loop drops a connection that broke or outlived CONN_MAX_AGE (as a request would); never
    # inside a transaction someone else opened (a caller's atomic block, a test).
    if not connection.in_atomic_block:
        close_old_connections()
