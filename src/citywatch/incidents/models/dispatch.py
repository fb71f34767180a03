from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.incidents.choices import DispatchStatus


class Dispatch(DomainModel):
    """A rescue team sent to an incident. ``assigned_to`` is the team leader who answers the order
    (accept, decline, en route, on scene); without one, only the dispatching side moves it."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="dispatches")
    team = models.ForeignKey("resources.RescueTeam", on_delete=models.PROTECT, related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DispatchStatus.choices, default=DispatchStatus.REQUESTED
    )
    # The engine's travel time from the team to the incident when the order was given (None: unknown).
    eta_s = models.FloatField(_("ETA (s)"), null=True, blank=True)
    eta_method = models.CharField(max_length=16, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    jurisdiction_path = "incident__area__path"

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["requested_at", "id"]

    def __str__(self):
        return f"{self.team} → {self.incident}"

    def change_area_path(self) -> str:
        return self.incident.area.path
