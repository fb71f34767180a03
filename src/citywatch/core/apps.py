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
        from django.db.models.signals import post_save

        from citywatch.core.actions import on_user_saved
        from citywatch.core.models import User

        post_save.connect(on_user_saved, sender=User, dispatch_uid="citywatch-password-changed")
        # After every app's migrate, so permissions of apps listed later exist too.
        post_migrate.connect(roles.sync_role_groups, dispatch_uid="citywatch-sync-role-groups")
