from citywatch.response.models.plans import Plan, PlanAction, PlanLevel, PlanRevision
from citywatch.response.models.responses import ChecklistAction, Proposal, Response, ResponseEvent

__all__ = [
    "ChecklistAction",
    "Plan",
    "PlanAction",
    "PlanLevel",
    "PlanRevision",
    "Proposal",
    "Response",
    "ResponseEvent",
]
