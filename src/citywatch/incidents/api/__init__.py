"""The incident command API under /api/v1/: one module per part of incident command, one router.

Every route declares its input and output ``Schema`` (``api/schemas.py``); handlers fetch through
``queries`` (an incident outside the caller's jurisdiction answers 404, an action their role may not take
403 — ``core.access``), change through ``actions`` (an illegal transition, a stale ``version``, a booked
resource or a shipment larger than the stock answers 409) and return the domain objects the schemas read.
"""

from ninja import Router

from citywatch.incidents.api import command, duty, incidents, log, orders, posts, sitreps, supply

router = Router()
for module in (incidents, posts, log, orders, supply, command, sitreps, duty):
    router.add_router("", module.router)

__all__ = ["router"]
