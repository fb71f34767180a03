"""The incident's command: people holding roles (commander, deputy, liaison…) for a time, and tasks with
an owner and a due time (open → done or cancelled; done → reopened, ``TASKS``)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citywatch.core import inputs
from citywatch.core.errors import Conflict, Invalid
from citywatch.core.lifecycle import Lifecycle, stamped, transitions
from citywatch.incidents.actions.incident import (
    append_log,
    lock_incident,
    lock_record,
    log_text,
    require_open,
    stamp_once,
)
from citywatch.incidents.choices import LogKind, ParticipantRole, TaskStatus
from citywatch.incidents.models import Incident, Participant, Task


@transaction.atomic
def add_participant(incident: Incident, user, person, role: str) -> Participant:
    """Give ``person`` a role in the incident's command (one active holding of a role per person)."""
    if role not in ParticipantRole.values:
        raise Invalid(
            _("unknown role %(role)s; use %(roles)s")
            % {"role": repr(role), "roles": ", ".join(ParticipantRole.values)}
        )
    incident = lock_incident(incident)
    require_open(incident)
    if Participant.objects.filter(incident=incident, user=person, role=role, ended_at__isnull=True).exists():
        raise Conflict(
            _("%(person)s already holds %(role)s")
            % {"person": person.username, "role": ParticipantRole(role).label}
        )
    participant = Participant.objects.create(
        incident=incident, user=person, role=role, started_at=timezone.now()
    )
    append_log(
        incident,
        LogKind.COMMAND,
        log_text(
            gettext_noop("%(person)s joins as %(role)s"),
            person=person.display_name,
            role=ParticipantRole(role).label,
        ),
        user,
        {"participant": participant.pk, "user": person.username, "role": role},
    )
    return participant


@transaction.atomic
def end_participant(participant: Participant, user) -> Participant:
    incident, participant = lock_record(participant, "user")
    stamp_once(participant, "ended_at", gettext_noop("this role has already ended"))
    append_log(
        incident,
        LogKind.COMMAND,
        log_text(
            gettext_noop("%(person)s leaves %(role)s"),
            person=participant.user.display_name,
            role=ParticipantRole(participant.role).label,
        ),
        user,
        {"participant": participant.pk, "user": participant.user.username, "role": participant.role},
    )
    return participant


TASK_TRANSITIONS = transitions(
    (TaskStatus.OPEN, "done", TaskStatus.DONE),
    (TaskStatus.OPEN, "cancel", TaskStatus.CANCELLED),
    (TaskStatus.DONE, "reopen", TaskStatus.OPEN),
)
TASK_TIMESTAMP = stamped(TaskStatus.DONE, TaskStatus.CANCELLED)
TASKS = Lifecycle(
    TASK_TRANSITIONS,
    TASK_TIMESTAMP,
    TaskStatus,
    illegal=gettext_noop("cannot %(action)s a task that is %(status)s"),
    clears={"reopen": ("done_at", "cancelled_at")},
)


@transaction.atomic
def create_task(incident: Incident, user, title: str, owner=None, due_at=None) -> Task:
    """A task of the incident's command; ``due_at`` without a time zone is read in the city's."""
    title = inputs.text(title, Task._meta.get_field("title").verbose_name, maximum=200, required=True)
    due_at = inputs.aware(due_at, Task._meta.get_field("due_at").verbose_name)
    incident = lock_incident(incident)
    require_open(incident)
    task = Task.objects.create(incident=incident, title=title, owner=owner, due_at=due_at)
    append_log(
        incident,
        LogKind.COMMAND,
        log_text(gettext_noop("task: %(title)s"), title=title),
        user,
        {"task": task.pk, "owner": owner.username if owner else None},
    )
    return task


@transaction.atomic
def task_transition(task: Task, action: str, user) -> Task:
    TASKS.check(action)
    incident, task = lock_record(task)
    old, new = TASKS.apply(task, action)
    task.save()
    append_log(
        incident,
        LogKind.COMMAND,
        log_text(
            gettext_noop("task %(title)s: %(old)s → %(new)s"),
            title=task.title,
            old=TaskStatus(old).label,
            new=TaskStatus(new).label,
        ),
        user,
        {"task": task.pk, "action": action, "from": old, "to": new},
    )
    return task
