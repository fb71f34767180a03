from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.incidents.choices import DispatchStatus


class ExpertSummons(DomainModel):
    """An expert summoned to an incident, the way a rescue team is dispatched (see ``Dispatch``):
    requested → accepted → en route → on scene → released, or declined from requested. The expert's
    availability follows the summons (``citywatch.incidents.summons``). Experts are not users, so the
    summoning side moves every step."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="summonses")
    expert = models.ForeignKey("resources.Expert", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DispatchStatus.choices, default=DispatchStatus.REQUESTED
    )
    # The engine's travel time from the expert to the incident when summoned (None: no location/unknown).
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
        verbose_name = _("expert summons")
        verbose_name_plural = _("expert summonses")
        ordering = ["requested_at", "id"]

    def __str__(self):
        return f"{self.expert} → {self.incident}"

    def change_area_path(self) -> str:
        return self.incident.area.path
