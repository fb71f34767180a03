"""The warnings API under /api/v1/warnings/: one module per part, one router (the fixed paths
``/warnings/cap``, ``/warnings/proposals`` and ``/warnings/hazards`` before ``/warnings/{pk}``)."""

from ninja import Router

from citywatch.warnings.api import cap, proposals, warnings

router = Router()
for module in (cap, proposals, warnings):
    router.add_router("", module.router)

__all__ = ["router"]
