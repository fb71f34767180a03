"""Who may do what with notifications (where comes from the jurisdiction). Read by ``core.roles``.

City admins manage subscriptions and may retry dead deliveries; duty officers (who watch the delivery
log day and night) may retry too; commanders, duty and district officers read subscriptions and the
delivery log of their jurisdiction; everyone who works an emergency sees the messages (and the live
stream at ``/events/``) of their jurisdiction.
"""

from citywatch.core.choices import Role
from citywatch.core.roles import ALL, VIEW

VIEW_CHANGE = ("view", "change")

GRANTS = {
    Role.CITY_ADMIN: {
        "message": VIEW,
        "subscription": ALL,
        "delivery": VIEW_CHANGE,
        "deliveryattempt": VIEW,
    },
    Role.COMMANDER: {"message": VIEW, "subscription": VIEW, "delivery": VIEW, "deliveryattempt": VIEW},
    Role.DUTY_OFFICER: {
        "message": VIEW,
        "subscription": VIEW,
        "delivery": VIEW_CHANGE,
        "deliveryattempt": VIEW,
    },
    Role.DISTRICT_OFFICER: {"message": VIEW, "subscription": VIEW, "delivery": VIEW, "deliveryattempt": VIEW},
    Role.INSPECTOR: {"message": VIEW},
}
