"""The shapes every list answers in: a page of items, or a GeoJSON FeatureCollection — typed.

Output style of the API (every app): a route declares its output ``Schema`` (``response=IncidentOut``);
the handler returns the domain object (a model instance, a dataclass, a list or page of them) and the
schema reads it (ninja schemas read attributes; computed fields are ``resolve_<name>`` static methods).
``paged(IncidentOut)`` is the page schema of a list, ``geojson(IncidentProperties)`` the FeatureCollection
schema of a ``format=geojson`` list; ``page()`` and ``feature_collection()`` fill them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, create_model

MAX_LIMIT = 1000


class PageParams(Schema):
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description=f"items per page, at most {MAX_LIMIT}")
    offset: int = Field(0, ge=0, le=100_000_000)


class PageOut(Schema):
    count: int = Field(description="rows matching the filters")
    limit: int
    offset: int
    next_offset: int | None = Field(description="offset of the next page; null on the last")


@functools.cache
def paged(item: type) -> type[PageOut]:
    """The page schema ``<Item>Page`` of a list of ``item``."""
    name = item.__name__.removesuffix("Out") + "Page"
    return create_model(name, __base__=PageOut, items=(list[item], ...))


class Geometry(Schema):
    """A GeoJSON geometry (RFC 7946), WGS-84 longitude/latitude."""

    type: Literal["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"]
    coordinates: list[Any]


@functools.cache
def geojson(properties: type) -> type[Schema]:
    """The FeatureCollection schema ``<Properties>FeatureCollection`` whose features carry ``properties``
    (with OGC API Features' ``numberMatched`` / ``numberReturned``)."""
    base = properties.__name__.removesuffix("Out").removesuffix("Properties")
    feature = create_model(
        f"{base}Feature",
        __base__=Schema,
        type=(Literal["Feature"], "Feature"),
        id=(int | str | None, None),
        geometry=(Geometry | None, ...),
        properties=(properties, ...),
    )
    return create_model(
        f"{base}FeatureCollection",
        __base__=Schema,
        type=(Literal["FeatureCollection"], "FeatureCollection"),
        numberMatched=(int | None, None),
        numberReturned=(int | None, None),
        features=(list[feature], ...),
    )


def page(queryset, params: PageParams, serialise: Callable | None = None) -> dict[str, Any]:
    """One page of ``queryset``: ``{"count", "limit", "offset", "next_offset", "items"}``; the items are
    the rows themselves unless ``serialise`` turns each into something else."""
    count = queryset.count()
    rows = list(queryset[params.offset : params.offset + params.limit])
    nxt = params.offset + params.limit
    return {
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
        "next_offset": nxt if nxt < count else None,
        "items": rows if serialise is None else [serialise(row) for row in rows],
    }


def geometry_json(geom) -> dict | None:
    return json.loads(geom.geojson) if geom is not None else None


def feature(obj, geometry, properties=None) -> dict[str, Any]:
    """A GeoJSON Feature of ``obj`` (its properties are ``obj`` itself unless given)."""
    return {
        "type": "Feature",
        "id": obj.pk,
        "geometry": geometry_json(geometry),
        "properties": obj if properties is None else properties,
    }


def feature_collection(queryset, params: PageParams, make_feature: Callable) -> dict[str, Any]:
    """A GeoJSON FeatureCollection page, with OGC API Features' numberMatched / numberReturned."""
    count = queryset.count()
    rows = list(queryset[params.offset : params.offset + params.limit])
    features = [make_feature(row) for row in rows]
    return {
        "type": "FeatureCollection",
        "numberMatched": count,
        "numberReturned": len(features),
        "features": features,
    }
