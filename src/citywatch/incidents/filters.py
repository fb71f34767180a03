"""One filter set per model, used by the API and the pages."""

from __future__ import annotations

import datetime
from typing import ClassVar

from django.db.models import Q
from django.utils import timezone
from ninja import FilterSchema
from pydantic import Field

from citywatch.core.filters import AreaParam, BboxFilter, InAreas
from citywatch.incidents.choices import Category, IncidentStatus, IncidentType, Severity
from citywatch.incidents.models import Incident


class IncidentFilter(InAreas, BboxFilter):
    bbox_fields: ClassVar[tuple[str, ...]] = ("location",)
    multi_choices: ClassVar[dict[str, list]] = {
        "status": IncidentStatus.choices,
        "category": Category.choices,
        "type": IncidentType.choices,
        "severity": Severity.choices,
    }
    labels_from: ClassVar[type] = Incident

    status: str | None = Field(
        None,
        max_length=200,
        description="one or several (comma-separated): " + ", ".join(IncidentStatus.values),
    )
    category: str | None = Field(None, max_length=200, description=", ".join(Category.values))
    type: str | None = Field(None, max_length=200, description=", ".join(IncidentType.values))
    severity: str | None = Field(None, max_length=40, description="1 (特别重大) … 4 (一般), one or several")
    exercise: bool | None = Field(None, description="true: drills only; false: real incidents only")
    area: AreaParam = None
    q: str | None = Field(None, max_length=100, description="part of the title")

    def filter_q(self, value):
        return Q(title__icontains=value) | Q(description__icontains=value) if value else Q()


class ShiftFilter(FilterSchema):
    date: datetime.date | None = Field(None, description="shifts overlapping this local day")
    area: str | None = Field(None, max_length=32, description="admin area code")

    def filter_date(self, value):
        if value is None:
            return Q()
        start = timezone.make_aware(datetime.datetime.combine(value, datetime.time()))
        return Q(start__lt=start + datetime.timedelta(days=1), end__gt=start)

    def filter_area(self, value):
        return Q(area__code=value) if value else Q()
