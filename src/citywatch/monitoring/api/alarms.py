"""Alarms under ``/api/v1/monitoring/alarms``: the list (filters), one alarm with its history, and the
steps people take — acknowledge (with a note) and close (after it cleared). Opening, escalating and
clearing are the rules' (``actions.alarms``)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from citywatch.core import access
from citywatch.core.pagination import PageParams, page, paged
from citywatch.monitoring import queries
from citywatch.monitoring.actions import alarms as actions
from citywatch.monitoring.api.schemas import RuleRef, StationRef
from citywatch.monitoring.filters import AlarmFilter
from citywatch.monitoring.models import Alarm

router = Router(tags=["monitoring"])
MAX_ID = 2**62


def _id(description: str):
    return Path(..., ge=1, le=MAX_ID, description=description)


def _finite(value):
    return None if value is None or value != value or value in (float("inf"), float("-inf")) else value


class AlarmOut(Schema):
    id: int
    kind: str = Field(description="rule, or stale (the station stopped reporting)")
    rule: RuleRef | None
    station: StationRef
    state: str = Field(description="open, acknowledged, cleared or closed")
    state_label: str
    level: str = Field(description="the highest level reached since it opened (blue … red)")
    level_label: str
    current_level: str = Field(description="what the latest evaluation says ('' when below every level)")
    value: float | None = Field(description="the latest deciding value (stale: minutes without a reading)")
    peak_value: float | None
    unit: str
    reading_time: dt.datetime | None
    opened_at: dt.datetime
    escalated_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    note: str
    cleared_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int
    allowed: list[str] = Field(description="the steps you may take now (acknowledge, close)")

    @staticmethod
    def resolve_rule(alarm: Alarm):
        return alarm.rule if alarm.rule_id else None

    @staticmethod
    def resolve_state_label(alarm: Alarm) -> str:
        return str(alarm.get_state_display())

    @staticmethod
    def resolve_level_label(alarm: Alarm) -> str:
        return str(alarm.get_level_display())

    @staticmethod
    def resolve_value(alarm: Alarm):
        return _finite(alarm.value)

    @staticmethod
    def resolve_peak_value(alarm: Alarm):
        return _finite(alarm.peak_value)

    @staticmethod
    def resolve_unit(alarm: Alarm) -> str:
        if alarm.rule_id is None or alarm.rule.kind == "no_data":
            return "min"
        return alarm.rule.variable.unit

    @staticmethod
    def resolve_acknowledged_by(alarm: Alarm) -> str | None:
        return alarm.acknowledged_by.display_name if alarm.acknowledged_by_id else None

    @staticmethod
    def resolve_allowed(alarm: Alarm, context) -> list[str]:
        user = context["request"].user
        if not access.can(user, Alarm, "change"):
            return []
        return actions.allowed_actions(alarm)


class AlarmEventOut(Schema):
    kind: str = Field(description="opened, escalated, acknowledged, cleared, closed")
    kind_label: str
    level: str
    value: float | None
    reading_time: dt.datetime | None
    at: dt.datetime
    user: str | None
    note: str

    @staticmethod
    def resolve_kind_label(event) -> str:
        return str(event.get_kind_display())

    @staticmethod
    def resolve_user(event) -> str | None:
        return event.user.display_name if event.user_id else None

    @staticmethod
    def resolve_value(event):
        return _finite(event.value)


class AlarmDetail(AlarmOut):
    events: list[AlarmEventOut] = Field(description="the alarm's history, oldest first")

    @staticmethod
    def resolve_events(alarm: Alarm):
        return list(queries.events_of(alarm))


class StepIn(Schema):
    note: str = Field("", max_length=2000, description="acknowledge: what is being done (required)")
    version: int | None = Field(None, ge=1, le=2**31, description="the version you saw (409 if it changed)")


@router.get(
    "/monitoring/alarms",
    response=paged(AlarmOut),
    summary="Alarms in your jurisdiction",
    description="Open and acknowledged alarms first, the highest level first, then the newest; cleared and "
    "closed ones after them, the newest first.",
)
def list_alarms(request: HttpRequest, filters: Query[AlarmFilter], paging: Query[PageParams]):
    access.require(request.user, Alarm, "view")
    return page(queries.urgent_first(filters.filter(queries.alarms_for(request.user))), paging)


@router.get("/monitoring/alarms/{pk}", response=AlarmDetail, summary="One alarm and its history")
def get_alarm(request: HttpRequest, pk: int = _id("alarm id")):
    return queries.alarm_for(request.user, pk)


@router.post("/monitoring/alarms/{pk}/acknowledge", response=AlarmDetail, summary="Acknowledge an open alarm")
def acknowledge_alarm(request: HttpRequest, payload: StepIn, pk: int = _id("alarm id")):
    """Needs a note; 409 unless the alarm is open (an escalated alarm is open again)."""
    alarm = queries.alarm_for(request.user, pk, "change")
    actions.acknowledge(alarm, request.user, payload.note, payload.version)
    return queries.alarm_for(request.user, pk)


@router.post("/monitoring/alarms/{pk}/close", response=AlarmDetail, summary="Close a cleared alarm")
def close_alarm(request: HttpRequest, payload: StepIn, pk: int = _id("alarm id")):
    """409 unless the alarm has cleared."""
    alarm = queries.alarm_for(request.user, pk, "change")
    actions.close(alarm, request.user, payload.note, payload.version)
    return queries.alarm_for(request.user, pk)
