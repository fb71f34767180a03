from citywatch.incidents.models.command import Participant, Task
from citywatch.incidents.models.dispatch import Dispatch
from citywatch.incidents.models.duty import DutyShift, HandoverEntry  # noqa: F401
from citywatch.incidents.models.incidents import Incident
from citywatch.incidents.models.log import IncidentLog, ReadOnlyError
from citywatch.incidents.models.orders import ResponseOrder  # noqa: F401
from citywatch.incidents.models.post import CommandPost  # noqa: F401
from citywatch.incidents.models.sitreps import Sitrep, SitrepStatus  # noqa: F401
from citywatch.incidents.models.summons import ExpertSummons  # noqa: F401
from citywatch.incidents.models.supply import SupplyRequest

__all__ = ["Dispatch", "Incident", "IncidentLog", "Participant", "ReadOnlyError", "SupplyRequest", "Task"]
