"""The plans and responses API under /api/v1/: plans (read, revise, import, export), responses (start,
change level, end, timeline, drill report), checklist actions (mark done) and proposals (accept, dismiss).
Subscriptions and deliveries are the outbox's (``/api/v1/notify/…``)."""

from ninja import Router

from citywatch.response.api import plans, proposals, responses

router = Router()
for module in (plans, responses, proposals):
    router.add_router("", module.router)

__all__ = ["router"]
