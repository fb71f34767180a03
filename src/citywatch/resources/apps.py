from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResourcesConfig(AppConfig):
    name = "citywatch.resources"
    label = "resources"
    verbose_name = _("Emergency resources")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from citywatch.core.models import AdminArea
        from citywatch.resources import importers  # noqa: F401  (registers the importers)
        from citywatch.resources.actions import on_registry_write
        from citywatch.resources.kinds import KINDS
        from citywatch.resources.models.base import Resource

        # The registry's version (RegistryVersion) moves with every record and admin area written.
        watched = {kind.model for kind in KINDS.values() if issubclass(kind.model, Resource)} | {AdminArea}
        for model in watched:
            for signal in (post_save, post_delete):
                signal.connect(on_registry_write, sender=model, dispatch_uid=f"registry-{model._meta.label}")
