"""The monitoring API: ``POST /api/v1/observations`` (feeds) and everything else under
``/api/v1/monitoring/`` — sources, stations, variables, observations (downsampled with ``agg=`` and
``interval=``), rules, alarms and their transitions. One module per part, one router."""

from ninja import Router

from citywatch.monitoring.api import alarms, observations, rules, sources, stations

router = Router()
for module in (observations, sources, stations, rules, alarms):
    router.add_router("", module.router)

__all__ = ["router"]
