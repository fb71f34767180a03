from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "citywatch.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self):
        from citywatch.core.management.commands import token
        from citywatch.monitoring.actions.ingest import feed_account

        token.SCOPES["source"] = feed_account
