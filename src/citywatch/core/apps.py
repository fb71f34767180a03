from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "citywatch.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from citywatch.core import changelog, importers, roles, tasks  # noqa: F401  (registers)

        changelog.connect_signals()
        # After every app's migrate, so permissions of apps listed later exist too.
        post_migrate.connect(roles.sync_role_groups, dispatch_uid="citywatch-sync-role-groups")
