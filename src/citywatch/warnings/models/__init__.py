from citywatch.warnings.models.feeds import CapFeed, FeedEntry
from citywatch.warnings.models.hazards import Guidance, HazardType
from citywatch.warnings.models.proposals import Proposal
from citywatch.warnings.models.warnings import Warning, WarningVersion

__all__ = ["CapFeed", "FeedEntry", "Guidance", "HazardType", "Proposal", "Warning", "WarningVersion"]
