from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.incidents.models.orders import ResponseOrder


class Dispatch(ResponseOrder):
    """A rescue team sent to an incident. ``assigned_to`` is the team leader who answers the order
    (accept, decline, en route, on scene); without one, only the dispatching side moves it."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="dispatches")
    team = models.ForeignKey("resources.RescueTeam", on_delete=models.PROTECT, related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    number_prefix = "DP"

    class Meta(ResponseOrder.Meta):
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")

    def __str__(self):
        return f"{self.team} → {self.incident}"
