from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    """The geo library as a Django app: no models; its importers and the ``bench`` command."""

    name = "citywatch.geo"
    label = "geo"
    verbose_name = _("Geography")

    def ready(self):
        from citywatch.geo import importers  # noqa: F401  (registers "roads" and "population")
