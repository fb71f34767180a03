"""Pagination and GeoJSON output shared by every list endpoint."""

from __future__ import annotations

import json
from typing import Any

from ninja import Schema
from pydantic import Field

MAX_LIMIT = 1000


class PageParams(Schema):
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description=f"items per page, at most {MAX_LIMIT}")
    offset: int = Field(0, ge=0, le=100_000_000)


def page(queryset, params: PageParams, serialise) -> dict[str, Any]:
    """``{"count", "limit", "offset", "next", "items"}`` for one page of ``queryset``."""
    count = queryset.count()
    rows = list(queryset[params.offset : params.offset + params.limit])
    nxt = params.offset + params.limit
    return {
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
        "next_offset": nxt if nxt < count else None,
        "items": [serialise(row) for row in rows],
    }


def geometry_json(geom) -> dict | None:
    return json.loads(geom.geojson) if geom is not None else None


def feature_collection(queryset, params: PageParams, feature) -> dict[str, Any]:
    """A GeoJSON FeatureCollection page, with OGC API Features' numberMatched / numberReturned."""
    count = queryset.count()
    rows = list(queryset[params.offset : params.offset + params.limit])
    features = [feature(row) for row in rows]
    return {
        "type": "FeatureCollection",
        "numberMatched": count,
        "numberReturned": len(features),
        "features": features,
    }
