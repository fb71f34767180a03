"""The login lock-out (django-axes' database handler with CityWatch's two counters).

* **Per user, across addresses:** ``CITYWATCH_LOGIN_FAILURE_LIMIT`` failed logins for one username within
  the cool-down (``CITYWATCH_LOGIN_COOLOFF_MINUTES``), from whatever addresses, lock that username until
  the oldest of them is older than the cool-down. Changing address (or forging one) does not help.
* **Per address, across users:** ``CITYWATCH_LOGIN_ADDRESS_FAILURE_LIMIT`` failures from one address
  lock that address for every username (password spraying). The limit is larger because a whole office
  may share one address.
* **A successful login** forgets only that username's failures from that address: failures an attacker
  made elsewhere still count, and a valid account of one's own cannot wipe an address's counter.

The address is ``citywatch.proxies.client_address`` (forwarded headers only from trusted proxies).
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def _failures(queryset) -> int:
    return queryset.aggregate(total=Sum("failures_since_start"))["total"] or 0


def counts(request, credentials=None) -> tuple[int, int]:
    """(failures for this username from any address, failures from this address for any username)
    within the cool-down."""
    username = get_client_username(request, credentials)
    recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
    by_user = _failures(recent.filter(username=username)) if username else 0
    by_address = _failures(recent.filter(ip_address=request.axes_ip_address))
    return by_user, by_address


class LoginAttemptHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        # Axes compares this number with AXES_FAILURE_LIMIT (the per-user limit); an address over its own
        # limit counts as a full per-user count.
        by_user, by_address = counts(request, credentials)
        if by_address >= settings.CITYWATCH_LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(by_user, settings.AXES_FAILURE_LIMIT)
        return by_user

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        deleted, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return deleted
