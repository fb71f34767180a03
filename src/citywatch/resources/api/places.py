# No `from __future__ import annotations`: ninja must see the real parameter types.
"""``GET /api/v1/places``: place search over the area tree and the registry's named places
(``resources.places``)."""

from django.http import HttpRequest
from ninja import Query

from citywatch.core import access
from citywatch.core.models import AdminArea
from citywatch.resources.api.router import router
from citywatch.resources.places import PlaceOut, PlaceParams, search


@router.get(
    "/places", response=list[PlaceOut], url_name="place_search", summary="Find a place by name or pinyin"
)
def place_search(request: HttpRequest, params: Query[PlaceParams]):
    """Districts, streets and communities of your jurisdiction and the registry's shelters, medical
    facilities, depots and facilities whose names contain ``q`` — or, for a Latin ``q``, whose pinyin
    (``jimei``) or initials (``jmq``) start with or contain it; the best matches first."""
    access.require(request.user, AdminArea, "view")
    return search(request.user, params.q, params.limit)
