"""The typed contract of the plans and responses API: what every route reads (``…In``) and answers
(``…Out``). Output schemas read the model instances the handlers return."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from citywatch.core.api import AreaRef
from citywatch.response import queries
from citywatch.response.choices import (
    HAZARDS,
    ROMAN,
    ActionStatus,
    EventKind,
    ProposalKind,
    ProposalRule,
    ResponseLevel,
    ResponseProposalStatus,
    ResponseStatus,
)
from citywatch.response.models.plans import MAX_MINUTES

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Hazard = Literal[tuple(HAZARDS)]  # type: ignore[valid-type]
AreaCode = Annotated[str, Field(pattern=r"^\d{6,12}$")]
Reason = Annotated[str, Field(max_length=2000)]


def person(user) -> str | None:
    return user.display_name if user is not None else None


# --- Plans -----------------------------------------------------------------------------------------


class PlanActionIO(Schema):
    title: str = Field(min_length=1, max_length=300)
    organisation: str = Field(min_length=1, max_length=200, description="as the plan names it")
    minutes: int = Field(ge=1, le=MAX_MINUTES, description="time limit from activation")


class PlanActionOut(PlanActionIO):
    organisation_id: int | None = Field(description="the registered organisation of that name, if any")

    @staticmethod
    def resolve_organisation(action) -> str:
        return getattr(action, "organisation_name", None) or action.organisation


class PlanLevelIn(Schema):
    level: ResponseLevel = Field(description='"4" (Ⅳ) … "1" (Ⅰ)')
    condition: str = Field("", max_length=4000)
    actions: list[PlanActionIO] = Field(default_factory=list, max_length=100)


class PlanLevelOut(Schema):
    level: ResponseLevel
    roman: str
    condition: str
    actions: list[PlanActionOut]

    @staticmethod
    def resolve_roman(lv) -> str:
        return ROMAN[lv.level]

    @staticmethod
    def resolve_actions(lv):
        return list(lv.actions.all())


class PlanIn(Schema):
    hazard: Hazard
    name: str = Field(min_length=1, max_length=200)
    area: AreaCode
    rule: ProposalRule = Field(description="how a warning proposes a response (DOMAIN.md §3.2)")
    levels: list[PlanLevelIn] = Field(min_length=1, max_length=4)
    note: str = Field("", max_length=500, description="what this revision changes")


class PlanOut(Schema):
    id: int
    hazard: str
    name: str
    area: AreaRef
    rule: ProposalRule
    demo: bool = Field(description="demo content (labelled on every page)")
    revision: int | None = Field(description="the current revision's number")
    updated_at: datetime.datetime

    @staticmethod
    def resolve_revision(plan) -> int | None:
        return plan.current.number if plan.current_id else None


class PlanDetail(PlanOut):
    levels: list[PlanLevelOut]

    @staticmethod
    def resolve_levels(plan):
        return queries.levels_of(plan.current) if plan.current_id else []


class RevisionOut(Schema):
    plan: int = Field(alias="plan_id")
    number: int
    note: str
    created_at: datetime.datetime
    created_by: str | None
    levels: list[PlanLevelOut]

    @staticmethod
    def resolve_created_by(rev):
        return person(rev.created_by)

    @staticmethod
    def resolve_levels(rev):
        return queries.levels_of(rev)


class PlanImportReportOut(Schema):
    created: int
    updated: int
    unchanged: int
    dry_run: bool


# --- Responses -------------------------------------------------------------------------------------


class ResponseIn(Schema):
    plan: Id
    level: ResponseLevel
    area: AreaCode | None = Field(None, description="the plan's area if omitted")
    reason: Reason = ""
    exercise: bool = Field(False, description="a drill (演练)")


class LevelChangeIn(Schema):
    level: ResponseLevel
    reason: Reason = Field(min_length=1)
    version: int | None = Field(None, ge=1, description="the version you saw; another one answers 409")


class EndIn(Schema):
    reason: Reason = Field(min_length=1)
    version: int | None = Field(None, ge=1)


class ProgressOut(Schema):
    total: int
    done: int
    open: int
    overdue: int
    withdrawn: int
    percent: int


class ResponseOut(Schema):
    id: int
    plan: int = Field(alias="plan_id")
    revision: int = Field(description="the plan revision it runs under")
    hazard: str
    area: AreaRef
    level: ResponseLevel
    roman: str
    status: ResponseStatus
    exercise: bool
    reason: str
    started_at: datetime.datetime
    started_by: str | None
    level_since: datetime.datetime
    ended_at: datetime.datetime | None
    end_reason: str
    version: int

    @staticmethod
    def resolve_revision(r) -> int:
        return r.revision.number

    @staticmethod
    def resolve_roman(r) -> str:
        return ROMAN[r.level]

    @staticmethod
    def resolve_started_by(r):
        return person(r.started_by)


class ChecklistActionOut(Schema):
    id: int
    response: int = Field(alias="response_id")
    level: ResponseLevel
    position: int
    title: str
    organisation: str = Field(alias="organisation_name")
    organisation_id: int | None
    minutes: int
    activated_at: datetime.datetime
    deadline: datetime.datetime
    status: ActionStatus
    overdue: bool
    done_at: datetime.datetime | None
    done_by: str | None
    late: bool = Field(description="done after its deadline")
    note: str
    escalated_at: datetime.datetime | None = Field(alias="overdue_at")

    @staticmethod
    def resolve_overdue(a) -> bool:
        return a.is_overdue()

    @staticmethod
    def resolve_done_by(a):
        return person(a.done_by)


class EventOut(Schema):
    id: int
    time: datetime.datetime
    kind: EventKind
    text: str
    author: str | None

    @staticmethod
    def resolve_author(e):
        return person(e.author)


class CauseOut(Schema):
    message: int = Field(alias="message_id")
    kind: str = Field(alias="message.kind")
    subject: str = Field(alias="message.subject")
    level: str = Field(alias="message.level")
    at: datetime.datetime = Field(alias="message.created_at")


class IncidentRef(Schema):
    id: int
    title: str
    status: str
    reported_at: datetime.datetime


class ResponseDetail(ResponseOut):
    progress: ProgressOut
    actions: list[ChecklistActionOut]
    warnings: list[CauseOut] = Field(description="the warning events whose proposals it carried out")
    incidents: list[IncidentRef] = Field(description="incidents in its area while it ran")

    @staticmethod
    def resolve_progress(r):
        p = queries.progress(r)
        return {**vars(p), "percent": p.percent}

    @staticmethod
    def resolve_actions(r):
        return list(queries.actions_of(r))

    @staticmethod
    def resolve_warnings(r):
        return list(queries.causes(r))

    @staticmethod
    def resolve_incidents(r, context):
        return list(queries.incidents_of(context["request"].user, r)[:100])


class DoneIn(Schema):
    note: str = Field("", max_length=2000)


# --- Proposals -------------------------------------------------------------------------------------


class ResponseProposalOut(Schema):
    id: int
    kind: ProposalKind
    status: ResponseProposalStatus
    hazard: str
    area: AreaRef
    level: ResponseLevel | Literal[""]
    exercise: bool
    plan: int = Field(alias="plan_id")
    response: int | None = Field(alias="response_id")
    warning_message: int | None = Field(alias="message_id")
    warning_level: str
    warning_subject: str
    text: str
    created_at: datetime.datetime
    decided_at: datetime.datetime | None

    @staticmethod
    def resolve_text(p) -> str:
        from citywatch.response.actions import proposal_text

        return proposal_text(p)


class AcceptIn(Schema):
    level: ResponseLevel | None = Field(
        None, description="another level than proposed (the commander's choice)"
    )
    reason: Reason = ""
    version: int | None = Field(None, ge=1)


class DismissIn(Schema):
    note: str = Field("", max_length=2000)
