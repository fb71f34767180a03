"""Read paths of incidents; every one starts from ``restrict(user, action)``."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404

from citywatch.incidents import actions
from citywatch.incidents.choices import IncidentStatus
from citywatch.incidents.models import Dispatch, Incident, IncidentLog, Participant, SupplyRequest, Task


def people_covering(incident):
    """Active users whose jurisdiction covers the incident's area: the people who can take a role in its
    command, own its tasks or answer its dispatch orders."""
    from citywatch.core.models import User

    return User.objects.covering(incident.area)


def incidents_for(user, action: str = "view"):
    return Incident.objects.restrict(user, action).select_related("area")


def incident_for(user, pk: int, action: str = "view") -> Incident:
    incident = incidents_for(user, action).filter(pk=pk).first()
    if incident is None:
        raise Http404("no such incident in your jurisdiction")
    return incident


def log_for(user, incident: Incident):
    return IncidentLog.objects.restrict(user, "view").filter(incident=incident).select_related("author")


def dispatches_for(user, action: str = "view"):
    return Dispatch.objects.restrict(user, action).select_related("team", "assigned_to", "incident__area")


def dispatch_for(user, incident_id: int, pk: int, action: str = "view") -> Dispatch:
    dispatch = dispatches_for(user, action).filter(incident_id=incident_id, pk=pk).first()
    if dispatch is None:
        raise Http404("no such dispatch in your jurisdiction")
    return dispatch


def supply_requests_for(user, action: str = "view"):
    return SupplyRequest.objects.restrict(user, action).select_related("depot", "item", "incident__area")


def participants_for(user, action: str = "view"):
    return Participant.objects.restrict(user, action).select_related("user", "incident__area")


def tasks_for(user, action: str = "view"):
    return Task.objects.restrict(user, action).select_related("owner", "incident__area")


@dataclass(frozen=True)
class OverdueReport:
    incident: Incident
    report: str  # "first" or "written"
    due_at: datetime.datetime


def overdue_reports(user, now: datetime.datetime) -> list[OverdueReport]:
    """Upward reports not yet sent whose deadline (counted from verification) has passed, for the
    incidents the user may see; cancelled incidents owe nothing. Oldest deadline first."""
    first = datetime.timedelta(minutes=actions.first_report_minutes())
    written = datetime.timedelta(minutes=actions.written_report_minutes())
    qs = (
        incidents_for(user)
        .filter(verified_at__isnull=False)
        .exclude(status=IncidentStatus.CANCELLED)
        .filter(
            Q(first_report_at__isnull=True, verified_at__lt=now - first)
            | Q(written_report_at__isnull=True, verified_at__lt=now - written)
        )
    )
    out = []
    for incident in qs:
        if incident.first_report_at is None and incident.verified_at + first < now:
            out.append(OverdueReport(incident, "first", incident.verified_at + first))
        if incident.written_report_at is None and incident.verified_at + written < now:
            out.append(OverdueReport(incident, "written", incident.verified_at + written))
    out.sort(key=lambda r: (r.due_at, r.incident.pk, r.report))
    return out
