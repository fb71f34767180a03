"""Pages of alarms: the list with filters, and the duty officer's acknowledge (with a note) and close.
Reads go through the restricted querysets; the transitions are the alarm actions
(``actions.alarms``), which lock the alarm, check its version, write its history and publish the change
through the notify outbox — the same as the API's."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from ninja import FilterSchema
from pydantic import Field

from citywatch.core import access, inputs, pages
from citywatch.core.errors import ActionError, Invalid
from citywatch.core.filters import AreaParam, area_q
from citywatch.monitoring import queries
from citywatch.monitoring.choices import LIVE_STATES, AlarmKind, AlarmLevel, AlarmState, StationKind
from citywatch.monitoring.models import Alarm, DataSource
from citywatch.monitoring.views.panels import RANK

PAGE_SIZE = 50
MAX_NOTE = 2000


class AlarmPageFilter(FilterSchema):
    """The alarm list's filters (the page reads them with ``core.pages``; bad values are dropped)."""

    state: str | None = Field(
        None, pattern=r"^(live|open|acknowledged|cleared|closed|all)$", title=_("State")
    )
    level: AlarmLevel | None = Field(None, title=_("Level"))
    kind: AlarmKind | None = Field(None, title=_("Kind"))
    station_kind: StationKind | None = Field(None, title=_("Station kind"))
    source: str | None = Field(None, max_length=48, pattern=r"^[a-z0-9][a-z0-9_-]*$", title=_("Data source"))
    station: int | None = Field(None, ge=1, title=_("Station"))
    area: AreaParam = Field(None, title=_("Area (name or code)"))
    hours: int | None = Field(None, ge=1, le=24 * 366, title=_("Opened within (hours)"))

    def filter_state(self, value):
        if value in (None, "live"):
            return Q(state__in=LIVE_STATES)
        if value == "all":
            return Q()
        return Q(state=value)

    def filter_station_kind(self, value):
        return Q(station__kind=value) if value else Q()

    def filter_source(self, value):
        return Q(station__source__code=value) if value else Q()

    def filter_station(self, value):
        return Q(station_id=value) if value else Q()

    def filter_area(self, value):
        return area_q(value, "station__area__path")

    def filter_hours(self, value):
        return Q(opened_at__gte=timezone.now() - datetime.timedelta(hours=value)) if value else Q()


def alarms_for(user):
    return Alarm.objects.restrict(user, "view").select_related(
        "station", "station__area", "station__source", "rule", "rule__variable", "acknowledged_by"
    )


def alarm_list(request):
    access.require(request.user, Alarm, "view")
    # Worst first (on a typhoon night the orange gusts above the blue rain sums), then the newest.
    qs = alarms_for(request.user).annotate(rank=RANK).order_by("-rank", "-opened_at", "-id")
    if not request.GET.get("state"):
        qs = qs.filter(state__in=LIVE_STATES)  # the default: what still needs attention
    listing = pages.listing(request, AlarmPageFilter, qs, PAGE_SIZE)
    return render(
        request,
        "monitoring/alarm_list.html",
        {
            "page": listing.page,
            "raw": listing.raw,
            "warning": listing.warning,
            "states": [("live", _("Open or acknowledged")), *AlarmState.choices, ("all", _("All"))],
            "levels": AlarmLevel.choices,
            "kinds": AlarmKind.choices,
            "station_kinds": StationKind.choices,
            "sources": DataSource.objects.restrict(request.user, "view").order_by("name"),
            "can_change": access.can(request.user, Alarm, "change"),
        },
    )


def _back(request):
    target = request.POST.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else "/monitoring/alarms/"


def _transition(request, pk, name: str):
    from citywatch.monitoring.actions import alarms as alarm_actions

    alarm = queries.alarm_for(request.user, pk, "change")
    note = request.POST.get("note", "").replace("\x00", "").strip()
    try:
        if len(note) > MAX_NOTE:
            raise Invalid(_("The note is longer than %(n)d characters.") % {"n": MAX_NOTE})
        version = inputs.identifier(request.POST.get("version", "")) if request.POST.get("version") else None
        getattr(alarm_actions, name)(alarm, request.user, note, expected_version=version)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        done = _("Alarm acknowledged: %(alarm)s") if name == "acknowledge" else _("Alarm closed: %(alarm)s")
        messages.success(request, done % {"alarm": alarm.station.name})
    return redirect(_back(request))


@require_POST
def alarm_acknowledge(request, pk):
    """The duty officer acknowledges an open alarm, with a note (Post/Redirect/Get)."""
    return _transition(request, pk, "acknowledge")


@require_POST
def alarm_close(request, pk):
    """Close a cleared alarm (or an acknowledged one the officer judges over)."""
    return _transition(request, pk, "close")
