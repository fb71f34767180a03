"""Logging filters named in ``settings.LOGGING``."""

import logging


class WithoutTraceback(logging.Filter):
    """Keeps the record's message and drops its traceback: for refusals that are the client's doing (a Host
    header not in ``ALLOWED_HOSTS``), where a stack of Django's frames tells an operator nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True
