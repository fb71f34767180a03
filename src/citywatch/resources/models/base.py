import secrets

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel

# Ids CityWatch gives records that came without one: ``cw-`` and 64 random bits in hex.
GENERATED_ID_PREFIX = "cw-"


def new_external_id() -> str:
    return GENERATED_ID_PREFIX + secrets.token_hex(8)


class Resource(DomainModel):
    """What every registered resource has: a name, a place (point and admin area), an external id, the
    coordinate system it arrived in, and whether it is synthetic demo data.

    The external id is the record's stable identity in exchange files: the one it was imported with, or,
    for a record that came without one (a form, the API, a file row without it), one generated once when
    it is first saved (``cw-`` + 16 hex digits). Exports carry it, so an exported file re-imports as
    updates, never as duplicates (docs/data-formats.md)."""

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

    def save(self, *args, **kwargs):
        if not self.external_id:
            self.external_id = new_external_id()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "external_id"}
        super().save(*args, **kwargs)


def unique_external_id(model_name: str):
    return models.UniqueConstraint(
        fields=["external_id"],
        name=f"{model_name}_unique_external_id",
        condition=models.Q(external_id__isnull=False),
    )
