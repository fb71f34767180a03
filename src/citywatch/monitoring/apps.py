from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "citywatch.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self):
        from citywatch.monitoring.choices import EVENT_KIND_NAMES
        from citywatch.notify.choices import register_kinds

        register_kinds(EVENT_KIND_NAMES)
        from citywatch.core.management.commands import token
        from citywatch.monitoring import importers, tasks  # noqa: F401  (registers the importers, tasks)
        from citywatch.monitoring.actions.ingest import feed_account
        from citywatch.monitoring.views import panels

        token.SCOPES["source"] = feed_account
        panels.register()
        navigation()


def navigation() -> None:
    """The monitoring entries of the main navigation, each shown to the roles that may read it."""
    from citywatch.navigation import NAV_ITEMS, NavItem

    entries = [
        NavItem("monitoring_map", _("Monitoring"), "monitoring.view_station"),
        NavItem("monitoring_alarms", _("Alarms"), "monitoring.view_alarm"),
    ]
    names = [item.url_name for item in NAV_ITEMS]
    after = names.index("duty") + 1 if "duty" in names else len(NAV_ITEMS)
    for offset, entry in enumerate(e for e in entries if e.url_name not in names):
        NAV_ITEMS.insert(after + offset, entry)
