from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarningsConfig(AppConfig):
    name = "citywatch.warnings"
    label = "warnings"
    verbose_name = _("Warnings")

    def ready(self):
        from citywatch.warnings.views import panels

        panels.register()
        navigation()


def navigation() -> None:
    """The warnings entry of the main navigation, after the duty screen."""
    from citywatch.navigation import NAV_ITEMS, NavItem

    names = [item.url_name for item in NAV_ITEMS]
    if "warnings" in names:
        return
    after = names.index("duty") + 1 if "duty" in names else len(NAV_ITEMS)
    NAV_ITEMS.insert(after, NavItem("warnings", _("Warnings"), "warnings.view_warning"))
