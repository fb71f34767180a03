"""Rules under ``/api/v1/monitoring/rules``: list, read, create, change, delete, and the "last 7 days"
preview (when the rule would have fired, computed from the stored readings, nothing written)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from citywatch.core.api import AreaRef
from citywatch.core.errors import Invalid
from citywatch.core.models import AdminArea
from citywatch.core.pagination import PageParams, page, paged
from citywatch.monitoring import queries
from citywatch.monitoring.actions import rules as actions
from citywatch.monitoring.choices import (
    LEVEL_OF_RANK,
    Aggregate,
    Direction,
    Operator,
    RuleKind,
    RuleTarget,
    StationKind,
)
from citywatch.monitoring.filters import RuleFilter
from citywatch.monitoring.models import Rule, Station, Variable

router = Router(tags=["monitoring"])
MAX_ID = 2**62

KindCode = Literal[tuple(RuleKind.values)]  # type: ignore[valid-type]
OpCode = Literal[tuple(Operator.values)]  # type: ignore[valid-type]
AggCode = Literal[tuple(Aggregate.values)]  # type: ignore[valid-type]
DirectionCode = Literal[tuple(Direction.values)]  # type: ignore[valid-type]
TargetCode = Literal[tuple(RuleTarget.values)]  # type: ignore[valid-type]
StationKindCode = Literal[("", *StationKind.values)]  # type: ignore[valid-type]
Threshold = float | None


def _id(description: str):
    return Path(..., ge=1, le=MAX_ID, description=description)


class RuleOut(Schema):
    id: int
    name: str
    variable: str = Field(alias="variable.code")
    unit: str = Field(alias="variable.unit")
    kind: str
    op: str
    window_minutes: int
    aggregate: str
    direction: str
    blue: float | None
    yellow: float | None
    orange: float | None
    red: float | None
    margin: float
    hold_minutes: int
    target: str
    station_kind: str
    source: str | None = Field(description="source code (target: source)")
    target_area: AreaRef | None
    stations: list[int] = Field(description="station ids (target: list)")
    area: AreaRef | None = Field(description="whose rule it is; null: the city's")
    hazard: str
    enabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_source(rule: Rule) -> str | None:
        return rule.source.code if rule.source_id else None

    @staticmethod
    def resolve_target_area(rule: Rule):
        return rule.target_area if rule.target_area_id else None

    @staticmethod
    def resolve_area(rule: Rule):
        return rule.area if rule.area_id else None

    @staticmethod
    def resolve_stations(rule: Rule) -> list[int]:
        return sorted(rule.stations.values_list("pk", flat=True)) if rule.target == RuleTarget.LIST else []


class RuleIn(Schema):
    name: str = Field(max_length=200, min_length=1)
    variable: str = Field(max_length=48, description="variable code")
    kind: KindCode = "threshold"
    op: OpCode = ">="
    window_minutes: int = Field(0, ge=0, le=400 * 24 * 60)
    aggregate: AggCode = "sum"
    direction: DirectionCode = "rise"
    blue: Threshold = None
    yellow: Threshold = None
    orange: Threshold = None
    red: Threshold = None
    margin: float = Field(0, ge=0, le=1e9)
    hold_minutes: int = Field(0, ge=0, le=30 * 24 * 60)
    target: TargetCode = "kind"
    station_kind: StationKindCode = ""
    source: str | None = Field(None, max_length=48, description="source code (target: source)")
    target_area: str | None = Field(
        None, max_length=12, pattern=r"^\d+$", description="area code (target: area)"
    )
    stations: list[int] | None = Field(None, max_length=5000, description="station ids (target: list)")
    area: str | None = Field(None, max_length=12, pattern=r"^\d+$", description="owner area; default yours")
    hazard: str = Field("", max_length=32, pattern=r"^([a-z][a-z0-9_]*)?$")
    enabled: bool = True


class RulePatch(Schema):
    name: str | None = Field(None, max_length=200, min_length=1)
    kind: KindCode | None = None
    op: OpCode | None = None
    window_minutes: int | None = Field(None, ge=0, le=400 * 24 * 60)
    aggregate: AggCode | None = None
    direction: DirectionCode | None = None
    blue: Threshold = None
    yellow: Threshold = None
    orange: Threshold = None
    red: Threshold = None
    margin: float | None = Field(None, ge=0, le=1e9)
    hold_minutes: int | None = Field(None, ge=0, le=30 * 24 * 60)
    target: TargetCode | None = None
    station_kind: StationKindCode | None = None
    source: str | None = Field(None, max_length=48)
    target_area: str | None = Field(None, max_length=12, pattern=r"^(\d+)?$")
    stations: list[int] | None = Field(None, max_length=5000)
    hazard: str | None = Field(None, max_length=32, pattern=r"^([a-z][a-z0-9_]*)?$")
    enabled: bool | None = None


def _clean(user, data: dict, rule: Rule | None) -> tuple[dict, list | None]:
    """API values → model values (codes → instances), checked against the user's jurisdiction."""
    out = dict(data)
    stations = out.pop("stations", None)
    if "variable" in out:
        variable = Variable.objects.filter(code=out["variable"]).first()
        if variable is None:
            raise Invalid(_("unknown variable %(code)s") % {"code": out["variable"]})
        out["variable"] = variable
    if "source" in out:
        code = out["source"]
        out["source"] = None
        if code:
            out["source"] = queries.sources_for(user).filter(code=code).first()
            if out["source"] is None:
                raise Invalid(_("unknown source %(code)s") % {"code": code})
    for key in ("target_area", "area"):
        if key in out:
            code = out[key]
            out[key] = None
            if code:
                area = AdminArea.objects.within(user).filter(code=code).first()
                if area is None:
                    raise Invalid(_("unknown area %(code)s") % {"code": code})
                out[key] = area
    if rule is None and out.get("area") is None and user.jurisdiction_id and not user.is_superuser:
        from citywatch.core.choices import CITY_WIDE_LEVELS

        if user.jurisdiction.level not in CITY_WIDE_LEVELS:
            out["area"] = user.jurisdiction  # a district's rule belongs to the district
    if stations is not None:
        found = list(Station.objects.within(user).filter(pk__in=stations))
        if len(found) != len(set(stations)):
            raise Invalid(_("some of the stations are unknown"))
        stations = found
    return out, stations


@router.get("/monitoring/rules", response=paged(RuleOut), summary="Rules")
def list_rules(request: HttpRequest, filters: Query[RuleFilter], paging: Query[PageParams]):
    from citywatch.core import access

    access.require(request.user, Rule, "view")
    return page(filters.filter(queries.rules_for(request.user)).order_by("name", "id"), paging)


@router.post("/monitoring/rules", response={201: RuleOut}, summary="Make a rule")
def create_rule(request: HttpRequest, payload: RuleIn):
    from citywatch.core import access

    access.require(request.user, Rule, "add")
    data, stations = _clean(request.user, payload.dict(), None)
    rule = actions.save_rule(request.user, data, None, stations)
    return Status(201, queries.rules_for(request.user).get(pk=rule.pk))


@router.get("/monitoring/rules/{pk}", response=RuleOut, summary="One rule")
def get_rule(request: HttpRequest, pk: int = _id("rule id")):
    return queries.rule_for(request.user, pk)


@router.patch("/monitoring/rules/{pk}", response=RuleOut, summary="Change a rule")
def patch_rule(request: HttpRequest, payload: RulePatch, pk: int = _id("rule id")):
    rule = queries.rule_for(request.user, pk, "change")
    data, stations = _clean(request.user, payload.dict(exclude_unset=True), rule)
    rule = actions.save_rule(request.user, data, rule, stations)
    return queries.rules_for(request.user).get(pk=rule.pk)


@router.delete("/monitoring/rules/{pk}", response={204: None}, summary="Delete a rule (and its alarms)")
def delete_rule(request: HttpRequest, pk: int = _id("rule id")):
    """Switch a rule off (PATCH ``enabled: false``) to keep its alarms' history."""
    rule = queries.rule_for(request.user, pk, "delete")
    rule.delete()
    return HttpResponse(status=204)


class PreviewQuery(Schema):
    days: int = Field(7, ge=1, le=31, description="how many days back")


class LevelInterval(Schema):
    station: int
    level: str
    start: dt.datetime
    end: dt.datetime
    ongoing: bool
    count: int = Field(description="readings in the interval")
    peak: float | None = Field(None, description="alarms: the highest value reached")


class PreviewOut(Schema):
    rule: int
    since: dt.datetime
    until: dt.datetime
    stations: int = Field(description="stations the rule watches")
    levels: list[LevelInterval] = Field(description="when each level held, per station")
    alarms: list[LevelInterval] = Field(description="the alarms the rule would have opened")


def _intervals(intervals) -> list[dict]:
    rows = []
    for row in intervals.rows():
        data = row._asdict()
        rows.append(
            {
                "station": data["station"],
                "level": LEVEL_OF_RANK.get(int(data["level"]), ""),
                "start": dt.datetime.fromtimestamp(data["start"], dt.UTC),
                "end": dt.datetime.fromtimestamp(data["end"], dt.UTC),
                "ongoing": bool(data["ongoing"]),
                "count": int(data["count"]),
                "peak": data["peak"] if math.isfinite(data["peak"]) else None,
            }
        )
    return rows


@router.get("/monitoring/rules/{pk}/preview", response=PreviewOut, summary="When the rule would have fired")
def preview_rule(request: HttpRequest, params: Query[PreviewQuery], pk: int = _id("rule id")):
    from django.utils import timezone

    rule = queries.rule_for(request.user, pk)
    now = timezone.now()
    result = actions.preview(rule, days=params.days, now=now)
    if hasattr(result, "levels"):
        levels, alarms = _intervals(result.levels), _intervals(result.alarms)
    else:
        levels, alarms = _intervals(result), []
    return {
        "rule": rule.pk,
        "since": now - dt.timedelta(days=params.days),
        "until": now,
        "stations": len(actions.all_targets(rule)),
        "levels": levels,
        "alarms": alarms,
    }
