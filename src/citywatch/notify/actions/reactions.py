"""Reactions: what another app does, in the publisher's transaction, when an event of a kind is published.

An app registers a reaction in its ``AppConfig.ready()``::

    from citywatch.notify.actions import reactions

    reactions.register("warning.*", consider, name="response.proposals")

``publish`` runs every reaction whose pattern matches the new message's kind right after writing the row,
in the caller's transaction — so what a reaction writes exists exactly when the event does, and rolls back
with it — each in its own savepoint: a reaction is advice to the publisher, never its failure, so an
exception is logged (``event=reaction.failed``) and undone, and the publisher's change goes on. The
messages a reaction publishes are not reacted to (no chains, no loops).

This is the one way an app follows another's events as they happen: the publisher knows nothing of who
reacts (the warnings app knows nothing of plans), and no app hooks another's models.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

log = logging.getLogger("citywatch.notify")


@dataclass(frozen=True)
class Reaction:
    pattern: str  # an event kind, or a prefix ending in ".*" (``warning.*``)
    handler: Callable  # f(message) -> anything; runs in the publisher's transaction
    name: str  # unique; registering a name again replaces it (reloads, tests)


REACTIONS: dict[str, Reaction] = {}
_state = threading.local()  # the reaction running in this thread, if any


def register(pattern: str, handler: Callable, *, name: str) -> Reaction:
    if not pattern or not (pattern.endswith(".*") or "*" not in pattern):
        raise ValueError(f"pattern must be an event kind or end in '.*', not {pattern!r}")
    reaction = Reaction(pattern, handler, name)
    REACTIONS[name] = reaction
    return reaction


def react(message) -> None:
    """Run the reactions to ``message`` (called by ``publish`` in the publisher's transaction)."""
    from citywatch.notify.queries import kind_matches

    if getattr(_state, "running", None):
        return  # a reaction's own messages are not reacted to
    for reaction in list(REACTIONS.values()):
        if not kind_matches([reaction.pattern], message.kind):
            continue
        _state.running = reaction.name
        try:
            with transaction.atomic():
                reaction.handler(message)
        except Exception:  # noqa: BLE001 - a reaction never stops the publisher's change
            log.exception(
                "event=reaction.failed reaction=%s message=%s kind=%s",
                reaction.name,
                message.pk,
                message.kind,
            )
        finally:
            _state.running = None
