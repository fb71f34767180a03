"""``publish``: how every app tells the outside world something happened — one outbox row, written in the
caller's transaction, so the message exists exactly when the change does and nothing leaves before the
commit."""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from citywatch.notify.actions.reactions import react
from citywatch.notify.choices import Level
from citywatch.notify.models import Message
from citywatch.notify.models.messages import HAZARD_PATTERN, KIND_PATTERN

MAX_SUBJECT_CHARS = 200
MAX_BODY_CHARS = 10_000


class PublishOutsideTransaction(RuntimeError):
    """``publish`` was called outside a transaction: the message would not be tied to the change."""


def publish(
    kind: str,
    *,
    area=None,
    subject: str,
    body: str = "",
    payload: dict | None = None,
    hazard: str = "",
    level: str = "",
    exercise: bool = False,
    public: bool = False,
    obj=None,
) -> Message:
    """Write one outbox ``Message`` in the caller's transaction and return it.

    ``kind`` is a dotted event kind (``warning.issued``); ``area`` an ``AdminArea`` (jurisdiction and
    matching), or None for no area (seen by city-wide users, matched by subscriptions without an area);
    ``subject`` and ``body`` are texts in the site language; ``payload`` a JSON object of at most
    ``CITYWATCH_NOTIFY_MAX_PAYLOAD_BYTES``; ``hazard`` a slug such as ``rainstorm``; ``level`` blue, yellow,
    orange, red or ''; ``exercise`` marks a drill (never sent to public transports); ``public`` allows
    public transports; ``obj`` the model instance the event is about.

    Raises ``PublishOutsideTransaction`` outside ``transaction.atomic()`` and ``ValueError`` for arguments
    that break these rules (programming errors of the caller, not user input). Sends nothing: the worker
    delivers after the commit; a rolled-back transaction takes the message with it. The reactions other
    apps registered for ``kind`` run before it returns, in the same transaction (``reactions.py``).
    """
    message = _message(
        kind, area=area, subject=subject, body=body, payload=payload, hazard=hazard, level=level,
        exercise=exercise, public=public, obj=obj,
    )  # fmt: skip
    message.save()
    react(message)  # other apps' reactions, in this transaction (``reactions.py``)
    return message


def _message(
    kind: str,
    *,
    area=None,
    subject: str,
    body: str = "",
    payload: dict | None = None,
    hazard: str = "",
    level: str = "",
    exercise: bool = False,
    public: bool = False,
    obj=None,
) -> Message:
    """The unsaved ``Message`` of ``publish``'s arguments, checked."""
    if not transaction.get_connection().in_atomic_block:
        raise PublishOutsideTransaction(
            "notify.publish() must run inside the transaction that makes the change (transaction.atomic)"
        )
    if not isinstance(kind, str) or len(kind) > 64 or not re.fullmatch(KIND_PATTERN, kind):
        raise ValueError(f"event kind must be dotted lower-case words such as 'warning.issued', not {kind!r}")
    if hazard and (len(hazard) > 32 or not re.fullmatch(HAZARD_PATTERN, hazard)):
        raise ValueError(f"hazard must be a lower-case slug such as 'rainstorm', not {hazard!r}")
    if level not in ("", *Level.values):
        raise ValueError(f"level must be one of {', '.join(Level.values)} or '', not {level!r}")
    subject = " ".join(str(subject).split())
    if not subject or len(subject) > MAX_SUBJECT_CHARS:
        raise ValueError(f"subject must be 1 to {MAX_SUBJECT_CHARS} characters")
    body = str(body)
    if len(body) > MAX_BODY_CHARS:
        raise ValueError(f"body must be at most {MAX_BODY_CHARS} characters")
    payload = {} if payload is None else payload
    if not isinstance(payload, dict):
        raise ValueError("payload must be a JSON object (a dict)")
    try:
        size = len(json.dumps(payload, ensure_ascii=False, allow_nan=False).encode())
    except (TypeError, ValueError) as exc:
        raise ValueError(f"payload must be JSON: {exc}") from None
    if size > settings.CITYWATCH_NOTIFY_MAX_PAYLOAD_BYTES:
        limit = settings.CITYWATCH_NOTIFY_MAX_PAYLOAD_BYTES
        raise ValueError(f"payload is {size} bytes; at most {limit} (send a reference instead)")
    if area is not None and not getattr(area, "path", None):
        raise ValueError("area must be an AdminArea (with its path) or None")
    content_type, object_id = None, ""
    if obj is not None:
        if obj.pk is None:
            raise ValueError("obj must be saved before it is published")
        content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        object_id = str(obj.pk)
    return Message(
        kind=kind,
        area=area,
        area_path=area.path if area is not None else "",
        hazard=hazard,
        level=level,
        exercise=bool(exercise),
        public=bool(public),
        subject=subject,
        body=body,
        payload=payload,
        content_type=content_type,
        object_id=object_id,
    )


def publish_many(items: list[tuple[str, dict]]) -> list[Message]:
    """``publish`` of many messages (``(kind, fields)`` pairs) in one insert, in order: the same checks, the
    same ``post_save`` receivers (the event stream's watch) and the same reactions per message
    (``reactions.py``), and one announcement to the event stream for the whole insert instead of one per
    message."""
    from django.db.models.signals import post_save

    from citywatch.notify.events import OUTBOX, announce

    messages = [_message(kind, **fields) for kind, fields in items]
    if not messages:
        return []
    Message.objects.bulk_create(messages, batch_size=500)
    using = transaction.get_connection().alias
    for message in messages:
        message._announced = True  # once below, not once per row (``Watch``)
        post_save.send(Message, instance=message, created=True, update_fields=None, raw=False, using=using)
        react(message)
    announce(using, OUTBOX.channel)
    return messages
