"""Starting, changing and ending responses; the checklist: instantiated from the plan revision, marked
done, escalated when overdue.

Every action is atomic, locks the response row, writes an entry to the response's timeline
(``ResponseEvent``; change-log rows come from the model signals) and a notification
(``notify.publish``) in the same transaction: ``response.started``, ``response.changed``,
``response.ended``, ``action.done``, ``action.overdue``. A drill's notifications are marked ``exercise``
and never public.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citywatch import notify
from citywatch.core import access, inputs
from citywatch.core.errors import Conflict, Forbidden, Invalid
from citywatch.core.models import AdminArea
from citywatch.core.models.base import scope_of
from citywatch.incidents.actions import log_text, require_version
from citywatch.response.choices import (
    COLOUR,
    ROMAN,
    ActionStatus,
    EventKind,
    ResponseLevel,
    ResponseProposalStatus,
    ResponseStatus,
    higher,
)
from citywatch.response.models import (
    ChecklistAction,
    Plan,
    PlanAction,
    Proposal,
    Response,
    ResponseEvent,
)

MAX_REASON = 2000
MAX_NOTE = 2000
STALE = gettext_noop(
    "the response was changed by someone else (version %(current)s, you sent %(sent)s); reload and try again"
)


def actor(user):
    return user if getattr(user, "pk", None) else None


def record(response: Response, kind: str, text: str, user=None, data: dict | None = None, time=None):
    return ResponseEvent.objects.create(
        response=response,
        kind=kind,
        text=text[:1000],
        author=actor(user),
        data=data or {},
        time=time or timezone.now(),
    )


def title_of(response: Response) -> str:
    """ "思明区 暴雨 Ⅳ级应急响应" in the site language."""
    return log_text(
        gettext_noop("%(area)s %(hazard)s level %(level)s emergency response"),
        area=response.area.name,
        hazard=response.hazard_label,
        level=ROMAN[response.level],
    )


def _publish(kind: str, response: Response, subject: str, body: str = "", **payload):
    return notify.publish(
        kind,
        area=response.area,
        subject=subject,
        body=body,
        payload={"response": response.pk, "level": response.level, "version": response.version, **payload},
        hazard=response.hazard,
        level=COLOUR[response.level],
        exercise=response.exercise,
        public=not response.exercise and kind.startswith("response."),
        obj=response,
    )


def lock(response: Response, expected_version: int | None = None) -> Response:
    locked = (
        Response.objects.select_for_update().select_related("area", "plan", "revision").get(pk=response.pk)
    )
    require_version(locked, expected_version, STALE)
    return locked


def require_active(response: Response) -> None:
    if response.status != ResponseStatus.ACTIVE:
        raise Conflict(_("the response has ended"))


def plan_levels(revision) -> list[str]:
    return sorted(revision.levels.values_list("level", flat=True), key=lambda v: -int(v))


def require_level(response_or_revision, level: str) -> None:
    revision = getattr(response_or_revision, "revision", response_or_revision)
    levels = plan_levels(revision)
    if level not in levels:
        raise Invalid(
            _("the plan has no level %(level)s; it has %(levels)s")
            % {"level": ROMAN.get(level, level), "levels": "、".join(ROMAN[v] for v in levels) or "—"}
        )


def instantiate(response: Response, level: str, now: datetime.datetime) -> list[ChecklistAction]:
    """The checklist of ``level`` from the response's plan revision, each action with its owner and its
    deadline (``now`` + the plan's minutes) — unless that level's actions are already there."""
    if response.actions.filter(level=level).exists():
        return []
    made = []
    plan_actions = PlanAction.objects.filter(level__revision=response.revision, level__level=level).order_by(
        "position", "id"
    )
    for pa in plan_actions:
        made.append(
            ChecklistAction.objects.create(
                response=response,
                plan_action=pa,
                level=level,
                position=pa.position,
                title=pa.title,
                organisation_id=pa.organisation_id,
                organisation_name=pa.organisation_name,
                minutes=pa.minutes,
                activated_at=now,
                deadline=now + datetime.timedelta(minutes=pa.minutes),
            )
        )
    return made


def withdraw_above(response: Response, level: str | None) -> int:
    """Withdraw the open actions of levels above ``level`` (every open action for None)."""
    qs = response.actions.filter(status=ActionStatus.OPEN)
    if level is not None:
        qs = qs.filter(level__in=[v for v in ResponseLevel.values if higher(v, level)])
    count = 0
    for action in qs.select_for_update():
        action.status = ActionStatus.WITHDRAWN
        action.save()
        count += 1
    return count


def check_area(user, area: AdminArea) -> None:
    if not scope_of(user).covers(area.path):
        raise Forbidden(
            _("%(area)s lies outside your jurisdiction: you may not start a response there")
            % {"area": area.name}
        )


@transaction.atomic
def start(
    user,
    plan: Plan,
    level: str,
    area: AdminArea | None = None,
    reason: str = "",
    *,
    exercise: bool = False,
    proposal: Proposal | None = None,
    now: datetime.datetime | None = None,
) -> Response:
    """Start a response of ``plan`` at ``level`` for ``area`` (the plan's by default). Refused: a role that
    may not start responses (403), an area outside the starter's jurisdiction (403) or outside the plan's
    area (422), a level the plan does not have (422), the same response already running (409). Nothing is
    written unless everything passes."""
    access.require(user, Response, "add")
    now = now or timezone.now()
    area = area or plan.area
    check_area(user, area)
    if not area.path.startswith(plan.area.path):
        raise Invalid(
            _("%(area)s is outside the plan's area %(plan_area)s")
            % {"area": area.name, "plan_area": plan.area.name}
        )
    if plan.current_id is None:
        raise Invalid(_("the plan has no revision yet"))
    if level not in ResponseLevel.values:
        raise Invalid(_("unknown level %(level)s") % {"level": repr(level)})
    require_level(plan.current, level)
    reason = inputs.text(reason, _("reason"), maximum=MAX_REASON)
    if proposal is not None:
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status != ResponseProposalStatus.OPEN:
            raise Conflict(
                _("the proposal was already %(status)s") % {"status": proposal.get_status_display()}
            )
        exercise = proposal.exercise
    running = Response.objects.filter(
        hazard=plan.hazard, area=area, exercise=exercise, status=ResponseStatus.ACTIVE
    ).first()
    if running is not None:
        raise Conflict(
            _("a %(hazard)s response is already running for %(area)s (level %(level)s, since %(since)s)")
            % {
                "hazard": running.hazard_label,
                "area": area.name,
                "level": ROMAN[running.level],
                "since": timezone.localtime(running.started_at).strftime("%Y-%m-%d %H:%M"),
            }
        )
    try:
        with transaction.atomic():
            response = Response.objects.create(
                plan=plan,
                revision_id=plan.current_id,
                hazard=plan.hazard,
                area=area,
                level=level,
                exercise=exercise,
                reason=reason or (proposal.warning_subject if proposal else ""),
                started_at=now,
                level_since=now,
                started_by=actor(user),
            )
    except IntegrityError:
        raise Conflict(
            _("a %(hazard)s response was started for %(area)s a moment ago by someone else; reload")
            % {"hazard": plan.hazard, "area": area.name}
        ) from None
    actions = instantiate(response, level, now)
    title = title_of(response)
    record(
        response,
        EventKind.STARTED,
        log_text(gettext_noop("response started at level %(level)s"), note=reason, level=ROMAN[level]),
        user,
        {
            "level": level,
            "reason": reason,
            "proposal": proposal.pk if proposal else None,
            "actions": len(actions),
        },
        time=now,
    )
    if proposal is not None:
        accept(proposal, user, response, now)
    _publish(
        "response.started",
        response,
        log_text(gettext_noop("%(title)s started"), title=title),
        reason,
        actions=len(actions),
    )
    return response


def accept(proposal: Proposal, user, response: Response, now) -> None:
    proposal.status = ResponseProposalStatus.ACCEPTED
    proposal.response = response
    proposal.decided_at = now
    proposal.decided_by = actor(user)
    proposal.save()
    record(
        response,
        EventKind.PROPOSAL,
        log_text(gettext_noop("proposal accepted: %(proposal)s"), proposal=proposal.get_kind_display()),
        user,
        {"proposal": proposal.pk, "message": proposal.message_id, "warning_level": proposal.warning_level},
        time=now,
    )


@transaction.atomic
def change_level(
    user,
    response: Response,
    level: str,
    reason: str,
    expected_version: int | None = None,
    *,
    proposal: Proposal | None = None,
    now: datetime.datetime | None = None,
) -> Response:
    """Upgrade or downgrade a running response, with a reason. Upgrading instantiates the new level's
    checklist; downgrading withdraws the open actions of the levels above."""
    access.require(user, Response, "change")
    now = now or timezone.now()
    reason = inputs.text(reason, _("reason"), maximum=MAX_REASON, required=True)
    if level not in ResponseLevel.values:
        raise Invalid(_("unknown level %(level)s") % {"level": repr(level)})
    response = lock(response, expected_version)
    require_active(response)
    require_level(response, level)
    if level == response.level:
        raise Conflict(_("the response is already at level %(level)s") % {"level": ROMAN[level]})
    if proposal is not None:
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status != ResponseProposalStatus.OPEN:
            raise Conflict(
                _("the proposal was already %(status)s") % {"status": proposal.get_status_display()}
            )
    old = response.level
    up = higher(level, old)
    response.level = level
    response.level_since = now
    response.version += 1
    response.save()
    if up:
        made = instantiate(response, level, now)
        withdrawn = 0
    else:
        withdrawn = withdraw_above(response, level)
        made = instantiate(response, level, now)
    kind = EventKind.UPGRADED if up else EventKind.DOWNGRADED
    msgid = (
        gettext_noop("upgraded from level %(old)s to level %(new)s")
        if up
        else gettext_noop("downgraded from level %(old)s to level %(new)s")
    )
    record(
        response,
        kind,
        log_text(msgid, note=reason, old=ROMAN[old], new=ROMAN[level]),
        user,
        {"from": old, "to": level, "reason": reason, "actions": len(made), "withdrawn": withdrawn},
        time=now,
    )
    if proposal is not None:
        accept(proposal, user, response, now)
    _publish(
        "response.changed",
        response,
        log_text(msgid, old=ROMAN[old], new=ROMAN[level]) + " · " + title_of(response),
        reason,
        previous_level=old,
        change="upgrade" if up else "downgrade",
    )
    return response


@transaction.atomic
def end(
    user,
    response: Response,
    reason: str,
    expected_version: int | None = None,
    *,
    proposal: Proposal | None = None,
    now: datetime.datetime | None = None,
) -> Response:
    """End a running response, with a reason; its open actions are withdrawn."""
    access.require(user, Response, "change")
    now = now or timezone.now()
    reason = inputs.text(reason, _("reason"), maximum=MAX_REASON, required=True)
    response = lock(response, expected_version)
    require_active(response)
    response.status = ResponseStatus.ENDED
    response.ended_at = now
    response.ended_by = actor(user)
    response.end_reason = reason
    response.version += 1
    response.save()
    withdrawn = withdraw_above(response, None)
    record(
        response,
        EventKind.ENDED,
        log_text(gettext_noop("response ended"), note=reason),
        user,
        {"reason": reason, "withdrawn": withdrawn},
        time=now,
    )
    if proposal is not None:
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status == ResponseProposalStatus.OPEN:
            accept(proposal, user, response, now)
    Proposal.objects.filter(response=response, status=ResponseProposalStatus.OPEN).update(
        status=ResponseProposalStatus.SUPERSEDED, decided_at=now
    )
    _publish(
        "response.ended",
        response,
        log_text(gettext_noop("%(title)s ended"), title=title_of(response)),
        reason,
    )
    return response


@transaction.atomic
def mark_done(user, action: ChecklistAction, note: str = "", *, now: datetime.datetime | None = None):
    """Mark a checklist action done, with a note. Twice, or on an ended response: 409."""
    now = now or timezone.now()
    note = inputs.text(note, _("note"), maximum=MAX_NOTE)
    response = lock(action.response)
    action = ChecklistAction.objects.select_for_update().get(pk=action.pk)
    if action.status != ActionStatus.OPEN:
        raise Conflict(_("the action is %(status)s") % {"status": action.get_status_display()})
    require_active(response)
    action.status = ActionStatus.DONE
    action.done_at = now
    action.done_by = actor(user)
    action.note = note
    action.save()
    late = action.done_at > action.deadline
    record(
        response,
        EventKind.ACTION_DONE,
        log_text(
            gettext_noop("done: %(action)s (%(organisation)s)"),
            note=note,
            action=action.title,
            organisation=action.organisation_name,
        ),
        user,
        {"action": action.pk, "late": late, "note": note},
        time=now,
    )
    _publish(
        "action.done",
        response,
        log_text(
            gettext_noop("done: %(action)s (%(organisation)s)"),
            action=action.title,
            organisation=action.organisation_name,
        ),
        note,
        action=action.pk,
    )
    action.response = response
    return action


def escalate_overdue(now: datetime.datetime | None = None, worker: str = "") -> int:
    """Escalate every open action of a running response past its deadline, once each: a conditional
    UPDATE claims the action (several workers never escalate one twice), and in the same transaction its
    response's timeline and an ``action.overdue`` notification are written. Returns how many."""
    now = now or timezone.now()
    due = list(
        ChecklistAction.objects.filter(
            status=ActionStatus.OPEN,
            deadline__lt=now,
            overdue_at__isnull=True,
            response__status=ResponseStatus.ACTIVE,
        )
        .order_by("deadline", "id")
        .values_list("pk", flat=True)[:500]
    )
    done = 0
    for pk in due:
        with transaction.atomic():
            claimed = ChecklistAction.objects.filter(
                pk=pk, status=ActionStatus.OPEN, overdue_at__isnull=True
            ).update(overdue_at=now)
            if not claimed:
                continue
            action = ChecklistAction.objects.select_related("response__area").get(pk=pk)
            response = action.response
            late = int((now - action.deadline).total_seconds() // 60)
            text = log_text(
                gettext_noop("overdue: %(action)s (%(organisation)s), due %(deadline)s"),
                action=action.title,
                organisation=action.organisation_name,
                deadline=timezone.localtime(action.deadline).strftime("%H:%M"),
            )
            record(
                response, EventKind.ACTION_OVERDUE, text, None, {"action": pk, "minutes_late": late}, time=now
            )
            _publish("action.overdue", response, text, "", action=pk, deadline=action.deadline.isoformat())
            done += 1
    return done
