"""One filter set per resource kind, built from the kinds table; spatial filters come from core."""

from __future__ import annotations

from typing import ClassVar

from django.db.models import Q
from ninja import FilterSchema
from pydantic import Field, create_model

from citywatch.core.filters import AreaParam, BboxFilter, ChoicesFilter, InAreas
from citywatch.resources.choices import MovementKind
from citywatch.resources.kinds import KINDS, Kind


class ResourceFilter(InAreas, BboxFilter):
    bbox_fields: ClassVar[tuple[str, ...]] = ("location",)

    area: AreaParam = None
    q: str | None = Field(None, max_length=100, description="part of the name or external id")

    def filter_q(self, value):
        return Q(name__icontains=value) | Q(external_id__iexact=value) if value else Q()


class CatalogueFilter(ChoicesFilter):
    q: str | None = Field(None, max_length=100, description="part of the name or code")

    def filter_q(self, value):
        return Q(name__icontains=value) | Q(code__iexact=value) if value else Q()


def _choices_of(kind: Kind, name: str) -> list[str] | None:
    field = kind.model._meta.get_field(name)
    return [value for value, _ in field.choices] if field.choices else None


def filter_schema(kind: Kind) -> type[ResourceFilter]:
    """The kind's filter set: its choice fields take one value or several ("full,closed"), by value or
    by label ("已满、关闭")."""
    fields = {}
    multi = {}
    for name in kind.filters:
        values = _choices_of(kind, name)
        if values is None:  # booleans
            fields[name] = (bool | None, Field(None))
        else:
            multi[name] = kind.model._meta.get_field(name).choices
            fields[name] = (
                str | None,
                Field(
                    None, max_length=200, description="one or several (comma-separated): " + ", ".join(values)
                ),
            )
    base = ResourceFilter if kind.located else CatalogueFilter
    schema = create_model(f"{kind.model.__name__}Filter", __base__=base, **fields)
    schema.multi_choices = multi
    schema.labels_from = kind.model
    return schema


FILTERS = {slug: filter_schema(kind) for slug, kind in KINDS.items()}


class MovementFilter(FilterSchema):
    """The stock ledger's filters: a depot, an item (by code), a kind of line."""

    depot: int | None = Field(None, description="id of the depot")
    item: str | None = Field(None, max_length=32, description="supply item code")
    kind: MovementKind | None = None

    def filter_depot(self, value):
        return Q(depot_id=value) if value is not None else Q()

    def filter_item(self, value):
        return Q(item__code=value) if value else Q()
