# No `from __future__ import annotations`: ninja must see the real parameter types.
"""``GET /api/v1/nearby``: the registry's resources nearest a point by travel time (``resources.nearby``)."""

from django.http import HttpRequest, HttpResponse
from ninja import Query

from citywatch.core import inputs
from citywatch.resources.api.router import router
from citywatch.resources.nearby import NearbyOut, NearbyParams, PointParams, nearby_json


@router.get(
    "/nearby",
    response=NearbyOut,
    url_name="nearby_endpoint",
    summary="Resources nearest by travel time",
    tags=["travel time"],
)
def nearby_endpoint(request: HttpRequest, point: Query[PointParams], params: Query[NearbyParams]):
    """Teams, depots and experts ranked by their time **to** the point; shelters, medical facilities and
    facilities by the time **from** the point; only resources in your jurisdiction; sorted by ``eta_s``.
    A point in GCJ-02 or BD-09 is converted to WGS-84 first (422 if that leaves the valid range)."""
    lon, lat = inputs.to_wgs84(point.lon, point.lat, point.crs)
    # The JSON of NearbyOut, validated and written in one pass, and kept for the same question on the
    # same data (resources.nearby.ANSWERS).
    body = nearby_json(request.user, lon, lat, params, input_crs=point.crs)
    return HttpResponse(body, content_type="application/json; charset=utf-8")
