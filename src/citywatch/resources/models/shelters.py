from django.contrib.gis.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citywatch.resources.choices import ShelterKind, ShelterStatus
from citywatch.resources.models.base import Resource, unique_external_id


class Shelter(Resource):
    kind = models.CharField(_("kind"), max_length=32, choices=ShelterKind.choices)
    capacity = models.PositiveIntegerField(_("capacity (persons)"))
    usable_area_m2 = models.PositiveIntegerField(_("usable area (m²)"), default=0)
    # A subset of ShelterFacility values.
    facilities = models.JSONField(_("facilities"), default=list, blank=True)
    demonstration = models.BooleanField(_("demonstration point (示范点)"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ShelterStatus.choices, default=ShelterStatus.OPEN
    )
    occupancy = models.PositiveIntegerField(_("current occupancy"), default=0)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)

    class Meta(Resource.Meta):
        verbose_name = _("shelter")
        verbose_name_plural = _("shelters")
        constraints = [unique_external_id("shelter")]


class ShelterOccupancy(models.Model):
    """The history of a shelter's occupancy and status (append-only)."""

    shelter = models.ForeignKey(Shelter, on_delete=models.CASCADE, related_name="occupancy_history")
    time = models.DateTimeField(default=timezone.now, db_index=True)
    occupancy = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=ShelterStatus.choices)
    user = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-time", "-id"]
