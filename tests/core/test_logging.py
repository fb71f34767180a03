"""The console of ``make demo`` and of a server: one line per meaningful event, each written once.

A record reaches exactly one handler from every logger CityWatch, Django, uvicorn and Huey write to (a
logger with a handler of its own does not also propagate to the root's); Huey's consumer, which adds a
handler of its own to a "huey" logger without one, finds ours; routine work is DEBUG."""

import logging
import logging.config

import pytest
from django.conf import settings

LOGGERS = (
    "citywatch.notify",
    "citywatch.worker",
    "citywatch.incidents.events",
    "django.request",
    "uvicorn.error",
    "uvicorn.access",
    "huey",
    "huey.consumer",
    "huey.consumer.Scheduler",
)


def handlers_reached(name: str) -> list[logging.Handler]:
    """The handlers a record of logger ``name`` is handed to, as ``Logger.callHandlers`` walks them."""
    found = []
    logger = logging.getLogger(name)
    while logger is not None:
        found.extend(logger.handlers)
        logger = logger.parent if logger.propagate else None
    return found


@pytest.mark.parametrize("name", LOGGERS)
def test_every_record_reaches_one_handler(name):
    logging.config.dictConfig(settings.LOGGING)
    assert len(handlers_reached(name)) == 1, [h for h in handlers_reached(name)]


def test_huey_finds_a_handler_and_does_not_propagate():
    """``run_huey`` adds its own handler only to a "huey" logger without one (and huey's consumer and
    scheduler loggers write through it): ours is there, and the record does not go on to the root."""
    logging.config.dictConfig(settings.LOGGING)
    huey = logging.getLogger("huey")
    assert huey.handlers and huey.propagate is False
    # Its routine lines (each task run, each periodic enqueue) are not on the console at INFO.
    assert not logging.getLogger("huey.consumer.Scheduler").isEnabledFor(logging.INFO)
    assert logging.getLogger("huey").isEnabledFor(logging.WARNING)


def test_ordinary_client_errors_are_not_logged():
    """A 403 or 404 is logged by Django at WARNING (with no traceback to show): not on the console."""
    logging.config.dictConfig(settings.LOGGING)
    assert not logging.getLogger("django.request").isEnabledFor(logging.WARNING)
    assert logging.getLogger("django.request").isEnabledFor(logging.ERROR)


def test_a_host_not_allowed_is_one_line_without_a_traceback(client):
    """The demo reached by its LAN address: a 400 and one line naming the host, no stack of frames."""
    import io

    logging.config.dictConfig(settings.LOGGING)
    stream = io.StringIO()
    handler = logging.getLogger().handlers[0]
    original = handler.setStream(stream)
    try:
        response = client.get("/", HTTP_HOST="192.0.2.7:8000")
    finally:
        handler.setStream(original)
    assert response.status_code == 400
    printed = stream.getvalue()
    assert "192.0.2.7" in printed and "Traceback" not in printed, printed
