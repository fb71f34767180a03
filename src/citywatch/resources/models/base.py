from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel


class Resource(DomainModel):
    """What every registered resource has: a name, a place (point and admin area), an optional external
    id for re-imports, the coordinate system it arrived in, and whether it is synthetic demo data."""

    external_id = models.CharField(_("external id"), max_length=64, null=True, blank=True)
    name = models.CharField(_("name"), max_length=200)
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    area = models.ForeignKey(
        "core.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    input_crs = models.CharField(_("input coordinate system"), max_length=8, default="wgs84")
    synthetic = models.BooleanField(_("synthetic (demo)"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    jurisdiction_path = "area__path"

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def change_area_path(self) -> str:
        return self.area.path if self.area_id else ""


def unique_external_id(model_name: str):
    return models.UniqueConstraint(
        fields=["external_id"],
        name=f"{model_name}_unique_external_id",
        condition=models.Q(external_id__isnull=False),
    )
