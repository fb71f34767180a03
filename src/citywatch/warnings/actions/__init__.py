"""The write halves of warnings: drafting, the lifecycle (with CAP and the outbox), CAP imports and
proposals."""

from citywatch.warnings.actions.drafting import (
    WarningInput,
    clean,
    common_area,
    default_guidance,
    draft_warning,
    edit_draft,
    lock_warning,
)
from citywatch.warnings.actions.importing import ImportResult, import_alert
from citywatch.warnings.actions.lifecycle import (
    ACTIONS,
    LIFECYCLE,
    allowed_actions,
    expire_due,
    issue,
    lift,
    may_issue,
    return_to_draft,
    submit,
    update,
    withdraw,
)
from citywatch.warnings.actions.proposals import (
    Signal,
    compute_proposals,
    dismiss_proposal,
    draft_from_proposal,
    record_signals,
)

__all__ = [
    "ACTIONS",
    "ImportResult",
    "Signal",
    "compute_proposals",
    "dismiss_proposal",
    "draft_from_proposal",
    "import_alert",
    "record_signals",
    "LIFECYCLE",
    "WarningInput",
    "allowed_actions",
    "clean",
    "common_area",
    "default_guidance",
    "draft_warning",
    "edit_draft",
    "expire_due",
    "issue",
    "lift",
    "lock_warning",
    "may_issue",
    "return_to_draft",
    "submit",
    "update",
    "withdraw",
]
