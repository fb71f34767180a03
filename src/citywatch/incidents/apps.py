from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "citywatch.incidents"
    label = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from citywatch.incidents import (
            duty,  # noqa: F401  (registers command post and duty permissions)
            roles,  # noqa: F401  (registers)
            summons,  # noqa: F401  (registers expert summons permissions)
        )
