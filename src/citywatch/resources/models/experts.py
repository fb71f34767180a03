from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.resources.choices import Availability, DutyKind, HomeCity
from citywatch.resources.models.base import Resource, unique_external_id


class ExpertCategory(DomainModel):
    """One of the configurable expert categories (22 seeded)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("expert category")
        verbose_name_plural = _("expert categories")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Expert(Resource):
    category = models.ForeignKey(ExpertCategory, verbose_name=_("category"), on_delete=models.PROTECT)
    specialty = models.CharField(_("specialty"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    home_city = models.CharField(
        _("home city"), max_length=16, choices=HomeCity.choices, default=HomeCity.LOCAL
    )
    availability = models.CharField(
        _("availability"), max_length=16, choices=Availability.choices, default=Availability.AVAILABLE
    )
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)

    class Meta(Resource.Meta):
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        constraints = [unique_external_id("expert")]


class DutyPerson(Resource):
    """A disaster information officer (per community) or a forest ranger (per checkpoint)."""

    kind = models.CharField(_("kind"), max_length=16, choices=DutyKind.choices)
    checkpoint = models.ForeignKey(
        "resources.Facility",
        verbose_name=_("checkpoint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rangers",
    )
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)

    class Meta(Resource.Meta):
        verbose_name = _("duty person")
        verbose_name_plural = _("duty people")
        constraints = [unique_external_id("dutyperson")]
