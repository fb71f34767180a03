"""Filter sets of plans and responses, used by the pages and the API alike."""

from __future__ import annotations

from django.db.models import Q
from ninja import FilterSchema
from pydantic import Field

from citywatch.response.choices import ResponseLevel, ResponseProposalStatus, ResponseStatus

HAZARD = r"^[a-z][a-z0-9_]*$"
AREA = r"^\d{6,12}$"


class PlanFilter(FilterSchema):
    hazard: str | None = Field(None, max_length=32, pattern=HAZARD)
    area: str | None = Field(None, pattern=AREA, description="area code: plans of that area and below")

    def filter_area(self, value):
        return Q(area__path__contains=f"{value}.") if value else Q()


class ResponseFilter(FilterSchema):
    hazard: str | None = Field(None, max_length=32, pattern=HAZARD)
    status: ResponseStatus | None = None
    level: ResponseLevel | None = None
    exercise: bool | None = None
    area: str | None = Field(None, pattern=AREA, description="area code: that area and below")

    def filter_area(self, value):
        return Q(area__path__contains=f"{value}.") if value else Q()


class ProposalFilter(FilterSchema):
    hazard: str | None = Field(None, max_length=32, pattern=HAZARD)
    status: ResponseProposalStatus | None = None
    exercise: bool | None = None
