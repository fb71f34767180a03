from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarningsConfig(AppConfig):
    name = "citywatch.warnings"
    label = "warnings"
    verbose_name = _("Warnings")

    def ready(self):
        from citywatch.notify.choices import register_hazard_names, register_kinds
        from citywatch.warnings.choices import EVENT_KIND_NAMES

        register_kinds(EVENT_KIND_NAMES)
        register_hazard_names(hazard_names)
        from citywatch.monitoring.actions import ingest
        from citywatch.warnings.actions.proposals import after_batch
        from citywatch.warnings.views import panels

        panels.register()
        # each ingested batch recomputes its districts' proposals (monitoring imports no warnings)
        if after_batch not in ingest.AFTER_BATCH:
            ingest.AFTER_BATCH.append(after_batch)
        navigation()


def navigation() -> None:
    """The warnings entry of the main navigation, after the duty screen."""
    from citywatch.navigation import NAV_ITEMS, NavItem

    names = [item.url_name for item in NAV_ITEMS]
    if "warnings" in names:
        return
    after = names.index("duty") + 1 if "duty" in names else len(NAV_ITEMS)
    NAV_ITEMS.insert(after, NavItem("warnings", _("Warnings"), "warnings.view_warning"))


def hazard_names() -> dict[str, str]:
    """{hazard code: name in the request's language} for notify's pages (subscriptions' filters)."""
    from citywatch.warnings.queries import hazards

    return {h.code: h.label for h in hazards()}
