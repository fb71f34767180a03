from citywatch.incidents.models.command import Participant, Task
from citywatch.incidents.models.dispatch import Dispatch
from citywatch.incidents.models.duty import DutyShift, HandoverEntry
from citywatch.incidents.models.incidents import Incident
from citywatch.incidents.models.log import IncidentLog, ReadOnlyError
from citywatch.incidents.models.orders import ResponseOrder
from citywatch.incidents.models.post import CommandPost
from citywatch.incidents.models.sitreps import Sitrep, SitrepStatus
from citywatch.incidents.models.summons import ExpertSummons
from citywatch.incidents.models.supply import SupplyRequest

__all__ = [
    "CommandPost",
    "Dispatch",
    "DutyShift",
    "ExpertSummons",
    "HandoverEntry",
    "Incident",
    "IncidentLog",
    "Participant",
    "ReadOnlyError",
    "ResponseOrder",
    "Sitrep",
    "SitrepStatus",
    "SupplyRequest",
    "Task",
]
