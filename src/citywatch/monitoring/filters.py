"""Filter sets of the monitoring hub, used by the pages and the API alike."""

from __future__ import annotations

from django.db.models import Q
from ninja import FilterSchema
from pydantic import Field

from citywatch.core.filters import AreaParam, AwareTime, area_q
from citywatch.monitoring.choices import LIVE_STATES, AlarmKind, AlarmLevel, AlarmState, RuleKind

CODE = r"^[a-z0-9][a-z0-9_-]*$"


class AlarmFilter(FilterSchema):
    state: AlarmState | None = None
    live: bool | None = Field(None, description="true: open or acknowledged; false: cleared or closed")
    level: AlarmLevel | None = None
    kind: AlarmKind | None = None
    station: int | None = Field(None, ge=1, le=2**62, description="station id")
    rule: int | None = Field(None, ge=1, le=2**62, description="rule id")
    area: AreaParam = None
    since: AwareTime = Field(None, description="opened at or after")
    until: AwareTime = Field(None, description="opened before")

    def filter_live(self, value):
        if value is None:
            return Q()
        return Q(state__in=LIVE_STATES) if value else ~Q(state__in=LIVE_STATES)

    def filter_station(self, value):
        return Q(station_id=value) if value else Q()

    def filter_rule(self, value):
        return Q(rule_id=value) if value else Q()

    def filter_area(self, value):
        return area_q(value, "station__area__path")

    def filter_since(self, value):
        return Q(opened_at__gte=value) if value else Q()

    def filter_until(self, value):
        return Q(opened_at__lt=value) if value else Q()


class RuleFilter(FilterSchema):
    variable: str | None = Field(None, max_length=48, pattern=CODE, description="variable code")
    kind: RuleKind | None = None
    enabled: bool | None = None
    q: str | None = Field(None, max_length=100, description="part of the name")

    def filter_variable(self, value):
        return Q(variable__code=value) if value else Q()

    def filter_q(self, value):
        return Q(name__icontains=value) if value else Q()
