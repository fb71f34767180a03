from citywatch.core.models.access import AccessVersion
from citywatch.core.models.areas import AdminArea
from citywatch.core.models.base import ChangeLogged, DomainModel, RestrictedManager, RestrictedQuerySet
from citywatch.core.models.changes import ObjectChange
from citywatch.core.models.health import WorkerHeartbeat
from citywatch.core.models.organisations import Organisation
from citywatch.core.models.users import ApiToken, User

__all__ = [
    "AccessVersion",
    "AdminArea",
    "ApiToken",
    "ChangeLogged",
    "DomainModel",
    "ObjectChange",
    "Organisation",
    "RestrictedManager",
    "RestrictedQuerySet",
    "User",
    "WorkerHeartbeat",
]
