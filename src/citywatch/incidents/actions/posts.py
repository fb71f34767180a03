"""The forward command post (前方指挥部): established for a verified, open incident (one active at a time,
timed from verification against CITYWATCH_COMMAND_POST_TARGET_MINUTES) and closed."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citywatch.core import inputs
from citywatch.core.errors import Conflict, Invalid
from citywatch.incidents.actions.incident import (
    actor,
    append_log,
    lock_incident,
    lock_record,
    log_text,
    require_open,
    stamp_once,
)
from citywatch.incidents.choices import IncidentStatus, LogKind
from citywatch.incidents.models import CommandPost, Incident

MAX_MEMBERS = 100
MAX_NAME = 100


def _members(value) -> list[dict]:
    """The post's members: names (or {name, role}), at most MAX_MEMBERS; people need not be users."""
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
        name = inputs.text(entry.get("name"), _("name"), maximum=MAX_NAME, required=True)
        role = inputs.text(entry.get("role"), _("role"), maximum=MAX_NAME)
        out.append({"name": name, "role": role} if role else {"name": name})
    return out


@transaction.atomic
def establish_post(
    incident: Incident,
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
    communications = inputs.text(
        communications, CommandPost._meta.get_field("communications").verbose_name, maximum=2000
    )
    label = CommandPost._meta.get_field("established_at").verbose_name
    established_at = inputs.aware(established_at, label)
    now = timezone.now()
    if established_at is not None and established_at > now + datetime.timedelta(minutes=1):
        raise Invalid(_("%(name)s is in the future") % {"name": label})
    incident = lock_incident(incident)
    if incident.verified_at is None or incident.status == IncidentStatus.CANCELLED:
        raise Conflict(_("verify the incident before establishing a command post"))
    require_open(incident)
    when = established_at or now
    if when < incident.verified_at:
        raise Invalid(_("%(name)s is before the incident was verified") % {"name": label})
    if CommandPost.objects.filter(incident=incident, closed_at__isnull=True).exists():
        raise Conflict(_("the incident already has an active command post; close it first"))
    post = CommandPost.objects.create(
        incident=incident,
        location=location,
        leader=leader,
        members=members,
        communications=communications,
        established_at=when,
        established_by=actor(user),
    )
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
    append_log(
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
    incident, post = lock_record(post)
    stamp_once(post, "closed_at", gettext_noop("the command post is already closed"))
    append_log(
        incident,
        LogKind.COMMAND,
        log_text(gettext_noop("command post closed"), note=(note or "").strip()[:2000]),
        user,
        {"command_post": post.pk, "action": "close"},
    )
    return post
