"""Filter sets: one per model, used by pages and the API alike. Spatial filters are written once here."""

from __future__ import annotations

import datetime
import re
from typing import Annotated, ClassVar

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import FilterSchema
from pydantic import AfterValidator, Field, field_validator

from citywatch.core import inputs
from citywatch.core.choices import AreaLevel, ChangeAction
from citywatch.core.models import AdminArea

# Several values of one filter: "full,closed", "已满，关闭", "已满、关闭" or separated by spaces.
SEPARATORS = re.compile(r"[,，、;；\s]+")
MAX_AREAS = 50


def values_of(value: str | None) -> list[str]:
    return [v for v in SEPARATORS.split(value or "") if v]


def area_codes(value: str | None) -> list[str]:
    """The codes an area filter names: codes as given, or the areas called so — by their full name
    (集美区, 侨英街道) or its start (集美, 侨英). ValueError when a name matches no area."""
    codes: list[str] = []
    for part in values_of(value):
        if part.isdigit():
            codes.append(part)
            continue
        found = list(
            AdminArea.objects.filter(Q(name=part) | Q(name__startswith=part))
            .order_by("path")
            .values_list("name", "code")[:MAX_AREAS]
        )
        exact = [code for name, code in found if name == part]
        if not found:
            raise ValueError(_("no area is called %(name)s") % {"name": part})
        codes += exact or [code for _name, code in found]
    return list(dict.fromkeys(codes))


def beneath_q(code: str | None, path: str) -> Q:
    """Rows whose area (``path``: the lookup of the area path) is the area ``code`` or beneath it."""
    if not code:
        return Q()
    return Q(**{f"{path}__startswith": f"{code}."}) | Q(**{f"{path}__contains": f".{code}."})


def area_q(value: str | None, path: str) -> Q:
    """Rows whose area (``path``: the lookup of the area path) is one of the named areas or beneath."""
    q = Q()
    for code in area_codes(value):
        q |= beneath_q(code, path)
    return q


def aware_time(value: datetime.datetime | None) -> datetime.datetime | None:
    """A filter's time: between the years 1970 and 2200 (else ValueError); without a zone, the city's."""
    if value is None:
        return value
    if not (1970 <= value.year <= 2200):
        raise ValueError("must be a time between the years 1970 and 2200")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


# A time filter (``since``, ``until``): see ``aware_time``.
AwareTime = Annotated[datetime.datetime | None, AfterValidator(aware_time)]


def _named_areas(value: str | None) -> str | None:
    if value:
        area_codes(value)
    return value


# The ``area`` filter of a located filter set (with ``InAreas``): admin-area codes or names, and beneath.
AreaParam = Annotated[
    str | None,
    Field(max_length=100, description="admin-area codes or names (集美区, 侨英街道), and beneath"),
    AfterValidator(_named_areas),
]


class InAreas:
    """``filter_area`` for an ``area: AreaParam`` field: rows whose area (``area__path``) is one of the
    named areas or beneath."""

    def filter_area(self, value):
        return area_q(value, "area__path") if value else Q()


def choice_values(value: str | None, choices) -> list[str]:
    """The values of a choice filter given as values or labels, one or several; ValueError names the
    first unknown one."""
    by_label = {str(label): v for v, label in choices}
    known = {v for v, _label in choices}
    out = []
    for part in values_of(value):
        v = part if part in known else by_label.get(part)
        if v is None:
            raise ValueError(
                _("unknown value %(value)s; use %(values)s")
                % {"value": part, "values": "、".join(str(label) for _v, label in choices)}
            )
        out.append(v)
    return list(dict.fromkeys(out))


class ChoicesFilter(FilterSchema):
    """Filters that take several values of a choice field ("full,closed") or their labels ("已满、关闭");
    ``multi_choices``: field name → the field's choices [(value, label)]. ``labels_from``: the model
    whose fields' verbose names label the filters in messages."""

    multi_choices: ClassVar[dict[str, list]] = {}
    labels_from: ClassVar[type | None] = None

    @field_validator("*")
    @classmethod
    def _choices(cls, value, info):
        if info.field_name in cls.multi_choices and value:
            return ",".join(choice_values(value, cls.multi_choices[info.field_name]))
        return value

    def _resolve_field_expression(self, field_name, field_value, field_info):
        if field_name in self.multi_choices and not callable(getattr(self, f"filter_{field_name}", None)):
            return Q(**{f"{field_name}__in": field_value.split(",")}) if field_value else Q()
        return super()._resolve_field_expression(field_name, field_value, field_info)

    @classmethod
    def label(cls, name: str) -> str:
        """The name people know the filter ``name`` by (the model field's verbose name)."""
        if name == "q":
            return _("search")
        if name == "bbox":
            return _("map extent")
        model = cls.labels_from
        if model is not None:
            try:
                return str(model._meta.get_field(name).verbose_name)
            except LookupError:
                pass
        return name


def bbox_q(value: str | None, *fields: str) -> Q:
    """Rows whose geometry in any of ``fields`` intersects the bbox."""
    if not value:
        return Q()
    box = inputs.bbox(value)
    q = Q()
    for name in fields:
        q |= Q(**{f"{name}__intersects": box})
    return q


class BboxFilter(ChoicesFilter):
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
    labels_from: ClassVar[type] = AdminArea

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
