from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResponseConfig(AppConfig):
    name = "citywatch.response"
    label = "response"
    verbose_name = _("Plans and responses")

    def ready(self):
        from citywatch.notify.choices import register_kinds
        from citywatch.response.choices import EVENT_KIND_NAMES

        register_kinds(EVENT_KIND_NAMES)
        from citywatch.notify.actions import reactions
        from citywatch.response import importers, tasks  # noqa: F401  (registers)
        from citywatch.response.actions.proposals import consider

        # Warning events propose responses by the plan's rule, in the warning's transaction.
        reactions.register("warning.*", consider, name="response.proposals")
        from citywatch.core import panels
        from citywatch.navigation import NAV_ITEMS, NavItem
        from citywatch.response import views

        panels.register(
            panels.Panel(
                name="response.responses",
                template="response/panels/responses.html",
                context=views.duty_panel,
                order=6,  # beside the warnings (their proposals lead to its proposals), above the alarms
                live=("response.*", "action.*", "warning.*"),
                permission="response.view_response",
            )
        )
        NAV_ITEMS.append(NavItem("responses", _("Responses"), "response.view_response"))
        NAV_ITEMS.append(NavItem("response_plans", _("Plans"), "response.view_plan"))
