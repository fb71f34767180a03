from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResponseConfig(AppConfig):
    name = "citywatch.response"
    label = "response"
    verbose_name = _("Plans and responses")

    def ready(self):
        from citywatch.response import importers, signals, tasks  # noqa: F401  (registers)

        signals.connect()
