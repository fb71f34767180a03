"""The incident's command: people given roles (and their roles ended) and tasks (done, cancelled,
reopened). Only people whose jurisdiction covers the incident may hold a role or own a task."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from citywatch.incidents import actions, queries
from citywatch.incidents.api.schemas import ParticipantIn, ParticipantOut, TaskIn, TaskMoveIn, TaskOut
from citywatch.incidents.models import Participant, Task

router = Router(tags=["command"])


@router.get("/incidents/{int:pk}/participants", response=list[ParticipantOut], summary="Command roles")
def list_participants(request: HttpRequest, pk: int):
    return queries.records_of(request.user, pk, Participant)


@router.post(
    "/incidents/{int:pk}/participants", response={201: ParticipantOut}, summary="Give someone a role"
)
def add_participant(request: HttpRequest, pk: int, payload: ParticipantIn):
    incident = queries.incident_for(request.user, pk, adding=Participant)
    holder = queries.person(payload.user, incident)
    return Status(201, actions.add_participant(incident, request.user, holder, payload.role))


@router.post("/incidents/{int:pk}/participants/{int:ppk}/end", response=ParticipantOut, summary="End a role")
def end_participant(request: HttpRequest, pk: int, ppk: int):
    participant = queries.record_of(request.user, pk, Participant, "change", pk=ppk)
    return actions.end_participant(participant, request.user)


@router.get("/incidents/{int:pk}/tasks", response=list[TaskOut], summary="Tasks")
def list_tasks(request: HttpRequest, pk: int):
    return queries.records_of(request.user, pk, Task)


@router.post("/incidents/{int:pk}/tasks", response={201: TaskOut}, summary="Add a task")
def add_task(request: HttpRequest, pk: int, payload: TaskIn):
    incident = queries.incident_for(request.user, pk, adding=Task)
    owner = queries.person(payload.owner, incident)
    return Status(201, actions.create_task(incident, request.user, payload.title, owner, payload.due_at))


@router.post("/incidents/{int:pk}/tasks/{int:tid}/transitions", response=TaskOut, summary="Move a task on")
def move_task(request: HttpRequest, pk: int, tid: int, payload: TaskMoveIn):
    task = queries.record_of(request.user, pk, Task, "change", pk=tid)
    return actions.task_transition(task, payload.action, request.user)
