"""The resources API under /api/v1/: one router, one module per sub-domain, one schemas module.

* ``records``   — ``/resources/<kind>/``: list (JSON or GeoJSON), detail, create, update, delete, for every
  kind of the kinds table;
* ``exchange``  — ``/resources/<kind>/import`` and ``/export`` (files);
* ``ledger``    — ``/resources/stock-movements/`` and ``/resources/depots/{pk}/stock``;
* ``occupancy`` — ``/resources/shelters/{pk}/occupancy``;
* ``coverage``  — ``/coverage``, the grassroots coverage report;
* ``nearby``    — ``/nearby``, the registry's resources nearest a point by travel time.

Access is ``core.access`` everywhere (``get_for`` fetches and checks in one call; ``require`` for lists
and creations); every route declares its input and output schemas (``schemas``).
"""

from citywatch.resources.api import coverage, exchange, ledger, nearby, occupancy, records  # noqa: F401
from citywatch.resources.api.router import router

__all__ = ["router"]
