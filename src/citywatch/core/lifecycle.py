"""Lifecycles as data: a transition table (state × action → state) and the time each state is stamped.

``Lifecycle`` answers what the actions of every app ask of a table — is this action known (else
``Invalid``), where does it lead from this state (else ``Conflict``, 409, naming the state), which
actions does a state allow (for pages and API answers) — and moves an object: sets its status and stamps
the new state's time, in one place. The action that calls it still locks the row, checks the version,
saves and logs, because those belong to its aggregate. Tested exhaustively through each app's table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citywatch.core.errors import Conflict, Invalid

UNKNOWN_ACTION = gettext_noop("unknown action %(action)s; use %(actions)s")


def transitions(*rows: tuple) -> dict[tuple[str, str], str]:
    """A transition table from rows ``(state or states, action, new state)``, in their order (the
    order of ``Lifecycle.actions``): ``((S.REPORTED, S.VERIFIED), "cancel", S.CANCELLED)`` is two
    entries."""
    table: dict[tuple[str, str], str] = {}
    for states, action, new in rows:
        for state in (states,) if isinstance(states, str) else states:
            table[(state, action)] = new
    return table


def stamped(*states: str) -> dict[str, str]:
    """The timestamps of ``states`` by the convention of the models: entering ``state`` stamps the
    field ``<state>_at``."""
    return {state: f"{state}_at" for state in states}


@dataclass(frozen=True)
class Lifecycle:
    """``table``: (state, action) → new state; ``timestamps``: state → the field stamped on entering it;
    ``states``: the TextChoices naming the states (their labels go into messages); ``illegal``: the msgid
    of the 409 message (``%(action)s``, ``%(status)s``, and ``%(allowed)s`` if it names them);
    ``clears``: fields emptied when an action leads back (e.g. reopen clears ``closed_at``)."""

    table: Mapping[tuple[str, str], str]
    timestamps: Mapping[str, str]
    states: type[models.TextChoices]
    illegal: str
    state_field: str = "status"
    # The 409 message from a state that allows nothing (when ``illegal`` lists what is allowed).
    illegal_final: str | None = None
    clears: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @cached_property
    def actions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(action for _state, action in self.table))

    def allowed(self, state: str) -> list[str]:
        """The actions the table allows from ``state``, sorted."""
        return sorted(action for (s, action) in self.table if s == state)

    def moves(self, states: Iterable[str] | None = None) -> dict[str, list[str]]:
        """For each state, the actions allowed from it (what a page's script needs)."""
        return {
            state: self.allowed(state) for state in (states if states is not None else self.states.values)
        }

    def check(self, action: str) -> None:
        """``Invalid`` (422) for an action the table does not know at all."""
        if action not in self.actions:
            raise Invalid(_(UNKNOWN_ACTION) % {"action": repr(action), "actions": ", ".join(self.actions)})

    def target(self, state: str, action: str) -> str:
        """The state ``action`` leads to from ``state``; ``Conflict`` (409) when it is not allowed there."""
        self.check(action)
        new = self.table.get((state, action))
        if new is None:
            params = {
                "action": action,
                "status": self.states(state).label,
                "allowed": ", ".join(self.allowed(state)),
            }
            message = self.illegal_final if self.illegal_final and not params["allowed"] else self.illegal
            raise Conflict(_(message) % params)
        return new

    def apply(self, obj, action: str, now=None) -> tuple[str, str]:
        """Move ``obj`` (not saved): check, set the new state, stamp its time, clear what the action
        clears. Returns (old state, new state)."""
        old = getattr(obj, self.state_field)
        new = self.target(old, action)
        setattr(obj, self.state_field, new)
        if new in self.timestamps:
            setattr(obj, self.timestamps[new], now or timezone.now())
        for name in self.clears.get(action, ()):
            setattr(obj, name, None)
        return old, new
