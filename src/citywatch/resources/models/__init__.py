from citywatch.resources.models.depots import Depot, StockBalance, StockMovement, SupplyItem
from citywatch.resources.models.experts import DutyPerson, Expert, ExpertCategory
from citywatch.resources.models.registry import RegistryVersion
from citywatch.resources.models.shelters import Shelter, ShelterOccupancy
from citywatch.resources.models.teams import Facility, MedicalFacility, RescueTeam

__all__ = [
    "Depot",
    "DutyPerson",
    "Expert",
    "ExpertCategory",
    "Facility",
    "MedicalFacility",
    "RegistryVersion",
    "RescueTeam",
    "Shelter",
    "ShelterOccupancy",
    "StockBalance",
    "StockMovement",
    "SupplyItem",
]
