from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "citywatch.incidents"
    label = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from citywatch.incidents.choices import EVENT_KIND_NAMES
        from citywatch.notify.choices import register_kinds

        register_kinds(EVENT_KIND_NAMES)
        from citywatch.incidents.events import LOG

        LOG.connect()  # new log entries wake the live streams (notify.events.Watch)
        # Tell the registry what incident command holds: the teams and experts on active orders, and the
        # stock approved for supply requests (``resources.actions.HOLDERS`` / ``COMMITMENTS``).
        from citywatch.incidents.actions.orders import held_resources
        from citywatch.incidents.actions.supply import promised
        from citywatch.resources import actions as registry

        if held_resources not in registry.HOLDERS:
            registry.HOLDERS.append(held_resources)
        if promised not in registry.COMMITMENTS:
            registry.COMMITMENTS.append(promised)
