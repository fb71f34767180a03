"""The resources API under /api/v1/: one router, one module per sub-domain, one schemas module.

* ``records``   — ``/resources/<kind>/``: list (JSON or GeoJSON), detail, create, update, delete, for every
  kind of the kinds table;
* ``exchange``  — ``/resources/<kind>/import`` and ``/export`` (files);
* ``ledger``    — ``/resources/stock-movements/`` and ``/resources/depots/{pk}/stock``;
* ``occupancy`` — ``/resources/shelters/{pk}/occupancy``;
* ``coverage``  — ``/coverage``, the grassroots coverage report;
* ``nearby``    — ``/nearby``, the registry's resources nearest a point by travel time;
* ``places``    — ``/places``, place search by name or pinyin (areas and the registry's named places).

Access is ``core.access`` everywhere (``get_for`` fetches and checks in one call; ``require`` for lists
and creations); every route declares its input and output schemas (``schemas``).
"""

from citywatch.resources.api import coverage, exchange, ledger, nearby, occupancy, places, records  # noqa: F401
from citywatch.resources.api.router import router

__all__ = ["router"]
