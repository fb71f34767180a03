from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResourcesConfig(AppConfig):
    name = "citywatch.resources"
    label = "resources"
    verbose_name = _("Emergency resources")

    def ready(self):
        from citywatch.resources import importers  # noqa: F401  (registers the importers)
