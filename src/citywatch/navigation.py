"""The navigation shell: each app appends its entries, so the shell has room for the domains to come."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    # Shown only to users holding it (several: all of them), so no role is offered a page it may not open.
    permission: str | tuple[str, ...] | None = None


NAV_ITEMS: list[NavItem] = [
    NavItem("map", _("Map")),
    NavItem("incidents", _("Incidents"), "incidents.view_incident"),
    NavItem("duty", _("Duty"), "incidents.view_incident"),
    NavItem("my_dispatches", _("My orders"), "incidents.change_dispatch"),
    NavItem("resources", _("Resources"), "resources.view_rescueteam"),
    NavItem(
        "coverage",
        _("Coverage"),
        tuple(f"resources.view_{m}" for m in ("shelter", "dutyperson", "depot", "facility", "rescueteam")),
    ),
    NavItem("areas", _("Areas"), "core.view_adminarea"),
    NavItem("changes", _("Change log"), "core.view_objectchange"),
    NavItem("notify_deliveries", _("Deliveries"), "notify.view_delivery"),
    NavItem("notify_subscriptions", _("Subscriptions"), "notify.view_subscription"),
]


def _allowed(user, permission) -> bool:
    if permission is None:
        return True
    return user.has_perms((permission,) if isinstance(permission, str) else permission)


def items_for(user):
    return [item for item in NAV_ITEMS if _allowed(user, item.permission)]
