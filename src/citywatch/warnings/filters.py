"""One filter set per model, used by the API and the pages."""

from __future__ import annotations

from typing import Literal

from django.db.models import Q
from ninja import FilterSchema
from pydantic import Field

from citywatch.warnings.queries import in_force_q

# Literals, not the TextChoices: the OpenAPI component names "Level", "Source" are other apps'.
Level = Literal["blue", "yellow", "orange", "red"]
Source = Literal["citywatch", "official"]
WarningStatus = Literal["draft", "submitted", "issued", "lifted", "expired", "withdrawn"]


class WarningFilter(FilterSchema):
    status: WarningStatus | None = Field(
        None, description="a state; without it (and without all=true) the warnings in force"
    )
    all: bool = Field(False, description="true: every state (drafts, lifted, expired …)")
    hazard: str | None = Field(None, max_length=32, pattern=r"^[a-z0-9_-]+$", description="hazard code")
    level: Level | None = None
    source: Source | None = None
    exercise: bool | None = Field(None, description="true: drills only; false: real warnings only")
    area: str | None = Field(
        None, max_length=12, pattern=r"^\d+$", description="admin-area code (and beneath)"
    )

    def filter_status(self, value):
        return Q(status=value) if value else Q()

    def filter_all(self, value):
        # (a filter of a field left out is not applied, so the default lives on ``all``, always given)
        return Q() if value or self.status else in_force_q()

    def filter_hazard(self, value):
        return Q(hazard__code=value) if value else Q()

    def filter_area(self, value):
        return Q(area__path__contains=f"{value}.") | Q(areas__code=value) if value else Q()


class WarningProposalFilter(FilterSchema):
    hazard: str | None = Field(None, max_length=32, pattern=r"^[a-z0-9_-]+$", description="hazard code")
    level: Level | None = None
    area: str | None = Field(None, max_length=12, pattern=r"^\d+$", description="admin-area code")

    def filter_hazard(self, value):
        return Q(hazard__code=value) if value else Q()

    def filter_area(self, value):
        return Q(area__code=value) if value else Q()
