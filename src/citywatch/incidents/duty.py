"""Forward command posts (前方指挥部) and duty (值班): the roster, the handover log and the duty screen.

Actions follow ``incidents.actions``: atomic, the incident row locked before its state is read, one
entry written to the incident log per change of a command post. Reads start from ``restrict``.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citywatch.core import inputs
from citywatch.core.errors import Conflict
from citywatch.core.models import AdminArea
from citywatch.core.models.base import scope_of
from citywatch.incidents import queries
from citywatch.incidents.actions import (
    OPEN_STATES,
    Forbidden,
    Invalid,
    _locked,
    _log,
    _user,
    log_text,
)
from citywatch.incidents.choices import IncidentStatus, LogKind
from citywatch.incidents.models import CommandPost, DutyShift, HandoverEntry
from citywatch.incidents.models.post import command_post_target_minutes

__all__ = ["command_post_target_minutes"]

MAX_SHIFT = datetime.timedelta(hours=24)
MAX_MEMBERS = 100


# --- Command posts --------------------------------------------------------------------------------


def _members(value) -> list[dict]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > MAX_MEMBERS:
        raise Invalid(_("members must be a list of at most %(max)s entries") % {"max": MAX_MEMBERS})
    out = []
    for entry in value:
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict):
            raise Invalid(_("each member is a name or {name, role}"))
        name = str(entry.get("name") or "").strip()
        role = str(entry.get("role") or "").strip()
        if not name or len(name) > 100 or len(role) > 100 or "\x00" in name + role:
            raise Invalid(_("a member needs a name (at most 100 characters) and an optional role"))
        out.append({"name": name, "role": role} if role else {"name": name})
    return out


@transaction.atomic
def establish_post(
    incident,
    user,
    *,
    lon,
    lat,
    crs: str = "wgs84",
    leader=None,
    members=None,
    communications: str = "",
    established_at: datetime.datetime | None = None,
) -> CommandPost:
    """Establish the incident's forward command post. Only a verified, open incident gets one (409
    otherwise), and only one may be active at a time (409). ``established_at`` records a post set up
    earlier (not in the future, not before verification); omitted: now."""
    location = inputs.point(lon, lat, crs or "wgs84")
    members = _members(members)
    communications = (communications or "").strip()
    if len(communications) > 2000 or "\x00" in communications:
        raise Invalid(_("communications is at most 2,000 characters"))
    now = timezone.now()
    if established_at is not None:
        if timezone.is_naive(established_at):
            raise Invalid(_("established_at needs a time zone"))
        if established_at > now + datetime.timedelta(minutes=1):
            raise Invalid(_("established_at is in the future"))
    incident = _locked(incident)
    if incident.verified_at is None or incident.status == IncidentStatus.CANCELLED:
        raise Conflict(_("verify the incident before establishing a command post"))
    if incident.status not in OPEN_STATES:
        raise Conflict(_("the incident is %(status)s") % {"status": IncidentStatus(incident.status).label})
    when = established_at or now
    if when < incident.verified_at:
        raise Invalid(_("established_at is before the incident was verified"))
    if CommandPost.objects.filter(incident=incident, closed_at__isnull=True).exists():
        raise Conflict(_("the incident already has an active command post; close it first"))
    post = CommandPost.objects.create(
        incident=incident,
        location=location,
        leader=leader,
        members=members,
        communications=communications,
        established_at=when,
        established_by=_user(user),
    )
    post.incident = incident
    minutes = post.minutes_from_verification
    text = log_text(
        gettext_noop(
            "command post established %(minutes)s min after verification "
            "(within the %(target)s-minute target)"
        )
        if post.within_target
        else gettext_noop(
            "command post established %(minutes)s min after verification "
            "(beyond the %(target)s-minute target)"
        ),
        minutes=f"{minutes:.0f}",
        target=post.target_minutes,
    )
    if leader:
        text = log_text(gettext_noop("%(entry)s; leader %(leader)s"), entry=text, leader=leader.display_name)
    _log(
        incident,
        LogKind.COMMAND,
        text,
        user,
        {
            "command_post": post.pk,
            "action": "establish",
            "minutes_from_verification": minutes,
            "within_target": post.within_target,
            "leader": leader.username if leader else None,
            "lon": location.x,
            "lat": location.y,
        },
    )
    return post


@transaction.atomic
def close_post(post: CommandPost, user, note: str = "") -> CommandPost:
    incident = _locked(post.incident)
    post = CommandPost.objects.select_for_update().get(pk=post.pk)
    if post.closed_at is not None:
        raise Conflict(_("the command post is already closed"))
    post.closed_at = timezone.now()
    post.save()
    post.incident = incident
    note = (note or "").strip()[:2000]
    _log(
        incident,
        LogKind.COMMAND,
        log_text(gettext_noop("command post closed"), note=note),
        user,
        {"command_post": post.pk, "action": "close"},
    )
    return post


def posts_for(user, action: str = "view"):
    return CommandPost.objects.restrict(user, action).select_related("incident__area", "leader")


def active_post(user, incident) -> CommandPost | None:
    return posts_for(user).filter(incident=incident, closed_at__isnull=True).first()


# --- The duty roster and the handover log ---------------------------------------------------------


@transaction.atomic
def create_shift(
    user,
    *,
    area: AdminArea,
    start: datetime.datetime,
    end: datetime.datetime,
    duty_officer,
    leader_on_call=None,
    note: str = "",
) -> DutyShift:
    """Put a shift on the roster of ``area`` (the city or a district in the user's jurisdiction). A
    shift that overlaps another of the same area answers 409."""
    if area is None or not scope_of(user).covers(area.path):
        raise Forbidden(_("you may only plan shifts in your jurisdiction"))
    if duty_officer is None:
        raise Invalid(_("a shift needs a duty officer"))
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise Invalid(_("start and end need a time zone"))
    if end <= start:
        raise Invalid(_("a shift ends after it starts"))
    if end - start > MAX_SHIFT:
        raise Invalid(_("a shift is at most 24 hours"))
    note = (note or "").strip()
    if len(note) > 200 or "\x00" in note:
        raise Invalid(_("note is at most 200 characters"))
    AdminArea.objects.select_for_update().filter(pk=area.pk).first()  # one roster change per area
    clash = DutyShift.objects.filter(area=area, start__lt=end, end__gt=start).first()
    if clash is not None:
        raise Conflict(_("the shift overlaps %(shift)s") % {"shift": clash})
    return DutyShift.objects.create(
        area=area,
        date=timezone.localtime(start).date(),
        start=start,
        end=end,
        duty_officer=duty_officer,
        leader_on_call=leader_on_call,
        note=note,
    )


@transaction.atomic
def add_handover(shift: DutyShift, user, text: str, open_items=None) -> HandoverEntry:
    """Append to the shift's handover log (值班日志); entries are never edited or deleted."""
    text = (text or "").strip()
    if not text or "\x00" in text or len(text) > 10000:
        raise Invalid(_("a handover entry needs text (at most 10,000 characters)"))
    items = open_items or []
    if not isinstance(items, list) or len(items) > 100:
        raise Invalid(_("open_items is a list of at most 100 entries"))
    items = [str(i).strip()[:500] for i in items if str(i).strip()]
    shift = DutyShift.objects.select_for_update().get(pk=shift.pk)
    return HandoverEntry.objects.create(shift=shift, author=_user(user), text=text, open_items=items)


def shifts_for(user, action: str = "view"):
    return DutyShift.objects.restrict(user, action).select_related("area", "duty_officer", "leader_on_call")


def shift_for(user, pk: int, action: str = "view") -> DutyShift:
    shift = shifts_for(user, action).filter(pk=pk).first()
    if shift is None:
        raise Http404("no such shift in your jurisdiction")
    return shift


def handover_for(user, shift: DutyShift):
    return HandoverEntry.objects.restrict(user, "view").filter(shift=shift).select_related("author")


def local_day(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The local (TIME_ZONE, Asia/Shanghai) day containing ``now``, as aware [start, end)."""
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + datetime.timedelta(days=1)


def roster_for_day(user, now: datetime.datetime):
    """Shifts overlapping the local day of ``now`` (last night's shift running into the morning too)."""
    start, end = local_day(now)
    return shifts_for(user).filter(start__lt=end, end__gt=start)


def duty_screen(user, now: datetime.datetime | None = None) -> dict:
    """What the duty screen shows: open incidents (not closed or cancelled), overdue upward reports,
    today's roster (and who is on watch now), active command posts."""
    now = now or timezone.now()
    open_incidents = list(
        queries.incidents_for(user)
        .exclude(status__in=[IncidentStatus.CLOSED, IncidentStatus.CANCELLED])
        .defer("affected_area")
    )
    roster = list(roster_for_day(user, now))
    return {
        "now": now,
        "open_incidents": open_incidents,
        "overdue_reports": queries.overdue_reports(user, now),
        "today_roster": roster,
        "on_duty": [s for s in roster if s.start <= now < s.end],
        "command_posts": list(posts_for(user).filter(closed_at__isnull=True)),
    }
