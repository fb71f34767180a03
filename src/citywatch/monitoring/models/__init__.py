from citywatch.monitoring.models.alarms import Alarm, AlarmEvent
from citywatch.monitoring.models.observations import (
    DeadLetter,
    Observation,
    ObservationCorrection,
    RecentReject,
    RejectTally,
)
from citywatch.monitoring.models.rules import Rule, RuleState
from citywatch.monitoring.models.sources import DataSource, Station
from citywatch.monitoring.models.variables import Variable

__all__ = [
    "Alarm",
    "AlarmEvent",
    "DataSource",
    "DeadLetter",
    "Observation",
    "ObservationCorrection",
    "RecentReject",
    "RejectTally",
    "Rule",
    "RuleState",
    "Station",
    "Variable",
]
