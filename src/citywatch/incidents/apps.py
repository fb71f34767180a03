from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "citywatch.incidents"
    label = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from citywatch.incidents.events import LOG

        LOG.connect()  # new log entries wake the live streams (notify.events.Watch)
