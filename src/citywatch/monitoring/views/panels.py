"""The monitoring hub's panel on the duty screen (``core/panels.py``): the live alarms of the user's
jurisdiction, worst first, each with the acknowledge form; refreshed over the event stream on every
``alarm.*`` message."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When

from citywatch.core import access, panels
from citywatch.monitoring.choices import LIVE_STATES, AlarmKind, AlarmState
from citywatch.monitoring.models import Alarm

SHOWN = 12
RANK = Case(
    When(level="red", then=Value(4)),
    When(level="orange", then=Value(3)),
    When(level="yellow", then=Value(2)),
    When(level="blue", then=Value(1)),
    default=Value(0),
    output_field=IntegerField(),
)

# Those still to acknowledge first (an acknowledged alarm has had its look; "acknowledged" sorted before
# "open" by name, so the ones awaiting the officer slid below the dozen shown).
AWAITING = Case(When(state=AlarmState.OPEN, then=Value(1)), default=Value(0), output_field=IntegerField())


def alarms_panel(request) -> dict | None:
    user = request.user
    if not access.can(user, Alarm, "view"):
        return None
    live = Alarm.objects.restrict(user, "view").filter(state__in=LIVE_STATES)
    rule_alarms = live.filter(kind=AlarmKind.RULE)
    shown = list(
        rule_alarms.select_related("station", "station__area", "rule", "rule__variable")
        .annotate(rank=RANK, waiting=AWAITING)
        .order_by("-waiting", "-rank", "-opened_at", "-id")[:SHOWN]
    )
    return {
        "alarms": shown,
        "open_count": rule_alarms.filter(state=AlarmState.OPEN).count(),
        "live_count": rule_alarms.count(),
        "stale_count": live.filter(kind=AlarmKind.STALE).count(),
        "can_change": access.can(user, Alarm, "change"),
    }


def register() -> None:
    panels.register(
        panels.Panel(
            name="monitoring.alarms",
            template="monitoring/panels/alarms.html",
            context=alarms_panel,
            order=10,
            live=("alarm.*",),
            permission="monitoring.view_alarm",
            wide=True,
            stylesheet="monitoring/css/monitoring.css",
        )
    )
