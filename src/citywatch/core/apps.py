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
        self._watch_access()
        # After every app's migrate, so permissions of apps listed later exist too.
        post_migrate.connect(roles.sync_role_groups, dispatch_uid="citywatch-sync-role-groups")

    @staticmethod
    def _watch_access():
        """Every write that changes who a request is or what it may do raises the access version
        (``core.models.access``; the querysets of User, ApiToken and AdminArea do it for bulk writes);
        so does deleting a session row (a logout: ``core.credentials.SESSIONS``)."""
        from django.contrib.auth.models import Group, Permission
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from citywatch.core.credentials import bump_access_version, bump_on_relation_change
        from citywatch.core.models import AdminArea, ApiToken, User

        for model in (User, ApiToken, AdminArea, Group, Permission):
            for signal in (post_save, post_delete):
                signal.connect(
                    bump_access_version, sender=model, dispatch_uid=f"access-version-{model._meta.label}"
                )
        from django.contrib.sessions.models import Session

        from citywatch.core.credentials import bump_on_session_deleted

        post_delete.connect(bump_on_session_deleted, sender=Session, dispatch_uid="access-version-session")
        for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
            m2m_changed.connect(
                bump_on_relation_change, sender=through, dispatch_uid=f"access-version-{through._meta.label}"
            )
