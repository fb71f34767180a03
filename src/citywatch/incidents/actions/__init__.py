"""Every state change of incident command. Views, the API, the demo and commands call these; none of them
saves an incident object itself.

One module per part of the aggregate, the write halves of the rooms:

- ``incident``: what every action does to the incident — ``lock_incident`` (row lock, version check),
  ``lock_record`` (the incident, then one of its records), ``require_open``, ``require_version``,
  ``append_log`` and ``log_text`` (the log, written in the site's language), ``add_note``;
- ``lifecycle``: reporting an incident, editing it, its lifecycle (``LIFECYCLE``) and upward reports;
- ``command``: roles in the command and tasks (``TASKS``);
- ``orders``: response orders — teams dispatched and experts summoned by one engine (``OrderKind``);
- ``supply``: supply requests through the stock ledger (``SUPPLY``);
- ``posts``: the forward command post;
- ``duty``: the duty roster and the handover log;
- ``sitreps``: situation reports (their documents: ``citywatch.incidents.documents``).

Each action is atomic, locks the incident row (``select_for_update``) before reading its state, checks
the transition table (``core.lifecycle.Lifecycle``) and (when given) the client's ``expected_version``,
and writes one entry to the incident log; the change log rows come from the model signals in the same
transaction. Callers import this package: ``from citywatch.incidents import actions``.
"""

from citywatch.incidents.actions.command import (
    TASK_TIMESTAMP,
    TASK_TRANSITIONS,
    TASKS,
    add_participant,
    create_task,
    end_participant,
    task_transition,
)
from citywatch.incidents.actions.duty import MAX_OPEN_ITEMS, MAX_SHIFT, add_handover, create_shift
from citywatch.incidents.actions.incident import (
    OPEN_STATES,
    actor,
    add_note,
    append_log,
    assign_changes,
    lock_incident,
    lock_record,
    log_text,
    require_open,
    require_version,
)
from citywatch.incidents.actions.lifecycle import (
    ACTIONS,
    LIFECYCLE,
    STATE_TIMESTAMP,
    TRANSITIONS,
    clean_incident,
    create_incident,
    locate,
    record_report,
    transition,
    update_incident,
)
from citywatch.incidents.actions.orders import (
    ACTIVE_ORDER,
    AVAILABILITY_FOR,
    DISPATCH,
    FIELD_REPORT_MAX,
    FIELD_REPORT_MAX_PEOPLE,
    FIELD_REPORT_STATES,
    LEADER_ACTIONS,
    ORDER_ACTIONS,
    ORDER_KINDS,
    ORDER_TIMESTAMP,
    ORDER_TRANSITIONS,
    RECIPIENT_ACTIONS,
    SUMMONS,
    TEAM_STATUS_FOR,
    OrderKind,
    dispatch_field_report,
    dispatch_transition,
    may_move_dispatch,
    order_transition,
    place_order,
    request_dispatch,
    summon_expert,
    summons_transition,
)
from citywatch.incidents.actions.posts import close_post, establish_post
from citywatch.incidents.actions.sitreps import (
    SITREPS,
    clean_sitrep,
    generate_sitrep,
    issue_sitrep,
    snapshot,
    update_sitrep,
)
from citywatch.incidents.actions.supply import (
    SUPPLY,
    SUPPLY_ACTIONS,
    SUPPLY_TIMESTAMP,
    SUPPLY_TRANSITIONS,
    available,
    ledger_reference,
    request_supply,
    supply_transition,
)

__all__ = [
    "ACTIONS",
    "ACTIVE_ORDER",
    "AVAILABILITY_FOR",
    "DISPATCH",
    "FIELD_REPORT_MAX",
    "FIELD_REPORT_MAX_PEOPLE",
    "FIELD_REPORT_STATES",
    "LEADER_ACTIONS",
    "LIFECYCLE",
    "MAX_OPEN_ITEMS",
    "MAX_SHIFT",
    "OPEN_STATES",
    "ORDER_ACTIONS",
    "ORDER_KINDS",
    "ORDER_TIMESTAMP",
    "ORDER_TRANSITIONS",
    "RECIPIENT_ACTIONS",
    "SITREPS",
    "STATE_TIMESTAMP",
    "SUMMONS",
    "SUPPLY",
    "SUPPLY_ACTIONS",
    "SUPPLY_TIMESTAMP",
    "SUPPLY_TRANSITIONS",
    "TASKS",
    "TASK_TIMESTAMP",
    "TASK_TRANSITIONS",
    "TEAM_STATUS_FOR",
    "TRANSITIONS",
    "OrderKind",
    "actor",
    "add_handover",
    "add_note",
    "add_participant",
    "append_log",
    "assign_changes",
    "available",
    "clean_incident",
    "clean_sitrep",
    "close_post",
    "create_incident",
    "create_shift",
    "create_task",
    "dispatch_field_report",
    "dispatch_transition",
    "end_participant",
    "establish_post",
    "generate_sitrep",
    "issue_sitrep",
    "ledger_reference",
    "locate",
    "lock_incident",
    "lock_record",
    "log_text",
    "may_move_dispatch",
    "order_transition",
    "place_order",
    "record_report",
    "request_dispatch",
    "request_supply",
    "require_open",
    "require_version",
    "snapshot",
    "summon_expert",
    "summons_transition",
    "supply_transition",
    "task_transition",
    "transition",
    "update_incident",
    "update_sitrep",
]
