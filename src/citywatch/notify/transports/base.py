"""What a transport is: a key, a label, how it checks a subscription's target, and how it sends."""

from __future__ import annotations

from dataclasses import dataclass

MAX_ERROR_CHARS = 1000


def clip(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to. ``permanent``: retrying cannot help (a 4xx, a refused address): the
    delivery is dead at once. ``retry_after``: the receiver asked for a pause (seconds)."""

    ok: bool
    permanent: bool = False
    error: str = ""
    response_status: int | None = None
    retry_after: float | None = None

    @classmethod
    def sent(cls, response_status: int | None = None) -> Outcome:
        return cls(True, response_status=response_status)

    @classmethod
    def retry(cls, error: str, response_status: int | None = None, retry_after: float | None = None):
        return cls(False, False, clip(error), response_status, retry_after)

    @classmethod
    def give_up(cls, error: str, response_status: int | None = None) -> Outcome:
        return cls(False, True, clip(error), response_status)


class Sender:
    """Sends deliveries for one worker round; may hold a connection between them (``close`` ends it)."""

    def send(self, message, subscription, delivery) -> Outcome:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        return None


class Transport:
    """One way out (a registry entry): ``key`` is stored in subscriptions and deliveries."""

    key: str = ""
    label = ""
    # Whether subscriptions of this transport carry a signing secret.
    signed: bool = False

    def clean_target(self, raw: str) -> str:
        """The target as stored, or ``Invalid`` saying what is wrong with it."""
        raise NotImplementedError

    def unavailable(self) -> str | None:
        """Why nothing can be sent through this transport now (not configured), or None. While it says
        so, its deliveries stay pending and count no attempt."""
        return None

    def open(self, worker_id: str) -> Sender:
        raise NotImplementedError
