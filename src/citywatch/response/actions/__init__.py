"""Every state change of plans and responses; views, the API, the importer, the demo and commands call
these. ``plans``: plan revisions (``save_plan``); ``responses``: start, change_level, end, mark_done,
escalate_overdue; ``proposals``: the plan's rule (``rule_proposal``), ``consider`` (a warning event),
``dismiss``, ``act_on``. Callers import this package: ``from citywatch.response import actions``."""

from citywatch.response.actions.plans import (
    ActionSpec,
    LevelSpec,
    PlanSpec,
    clean_spec,
    read_hazard,
    read_level,
    read_minutes,
    read_rule,
    save_plan,
    spec_of,
)
from citywatch.response.actions.proposals import (
    act_on,
    consider,
    dismiss,
    plan_for,
    proposal_text,
    rule_proposal,
)
from citywatch.response.actions.responses import (
    change_level,
    end,
    escalate_overdue,
    instantiate,
    mark_done,
    start,
    title_of,
)

__all__ = [
    "ActionSpec",
    "LevelSpec",
    "PlanSpec",
    "act_on",
    "change_level",
    "clean_spec",
    "consider",
    "dismiss",
    "end",
    "escalate_overdue",
    "instantiate",
    "mark_done",
    "plan_for",
    "proposal_text",
    "read_hazard",
    "read_level",
    "read_minutes",
    "read_rule",
    "rule_proposal",
    "save_plan",
    "spec_of",
    "start",
    "title_of",
]
