"""Filter sets: one per model, used by pages and the API alike. Spatial filters are written once here."""

from __future__ import annotations

import datetime
from typing import ClassVar

from django.db.models import Q
from django.utils import timezone
from ninja import FilterSchema
from pydantic import Field, field_validator

from citywatch.core import inputs
from citywatch.core.choices import AreaLevel, ChangeAction


def bbox_q(value: str | None, *fields: str) -> Q:
    """Rows whose geometry in any of ``fields`` intersects the bbox."""
    if not value:
        return Q()
    box = inputs.bbox(value)
    q = Q()
    for name in fields:
        q |= Q(**{f"{name}__intersects": box})
    return q


class BboxFilter(FilterSchema):
    """The spatial filter every filter set shares: rows whose geometry (``bbox_fields``) meets a box."""

    bbox_fields: ClassVar[tuple[str, ...]] = ()

    bbox: str | None = Field(None, max_length=100, description="minlon,minlat,maxlon,maxlat")

    @field_validator("bbox")
    @classmethod
    def _bbox(cls, value):
        if value:
            inputs.bbox(value)
        return value

    def filter_bbox(self, value):
        return bbox_q(value, *self.bbox_fields)


class AreaFilter(BboxFilter):
    bbox_fields: ClassVar[tuple[str, ...]] = ("boundary", "point")

    level: AreaLevel | None = Field(None, description="province, city, district, street or community")
    parent: str | None = Field(None, max_length=12, pattern=r"^\d+$", description="code of the parent area")
    q: str | None = Field(None, max_length=100, description="part of the name, or the start of the code")

    def filter_parent(self, value):
        return Q(parent__code=value) if value else Q()

    def filter_q(self, value):
        return Q(name__icontains=value) | Q(code__startswith=value) if value else Q()


class ChangeFilter(FilterSchema):
    model: str | None = Field(
        None, max_length=100, pattern=r"^[a-z_]+\.[a-z_]+$", description="app_label.model"
    )
    object_id: str | None = Field(None, max_length=64)
    user: str | None = Field(None, max_length=150, description="username")
    action: ChangeAction | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    q: str | None = Field(None, max_length=100, description="part of the object's name")

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value):
        # A time without a zone is read in the city's zone (Asia/Shanghai); stored times are UTC.
        if value is None:
            return value
        if not (1900 <= value.year <= 2200):
            raise ValueError("must be a time between the years 1900 and 2200")
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def filter_model(self, value):
        if not value:
            return Q()
        app_label, model = value.split(".", 1)
        return Q(content_type__app_label=app_label, content_type__model=model)

    def filter_user(self, value):
        return Q(user_name=value) if value else Q()

    def filter_since(self, value):
        return Q(time__gte=value) if value else Q()

    def filter_until(self, value):
        return Q(time__lt=value) if value else Q()

    def filter_q(self, value):
        return Q(object_repr__icontains=value) if value else Q()
