from django.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.choices import OrganisationKind
from citywatch.core.models.base import DomainModel


class Organisation(DomainModel):
    """A department, agency, rescue-unit owner or (later) enterprise, placed in an admin area."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    area = models.ForeignKey(
        "core.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="organisations"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    external_id = models.CharField(_("external id"), max_length=64, blank=True, db_index=True)

    jurisdiction_path = "area__path"

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "area"], name="organisation_unique_name_in_area")
        ]

    def __str__(self):
        return self.name

    def change_area_path(self) -> str:
        return self.area.path if self.area_id else ""
