from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel


class SitrepStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")


class Sitrep(DomainModel):
    """A situation report (突发事件信息报告) on an incident: numbered 1..n per incident, generated from the
    incident as a draft, edited (each edit adds one to ``version``), then issued and never changed again.
    Timeline, forces and supplies are snapshots (lists of dicts) taken when the draft was generated."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="sitreps")
    number = models.PositiveIntegerField(_("number"))
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=8, choices=SitrepStatus.choices, default=SitrepStatus.DRAFT
    )
    exercise = models.BooleanField(_("exercise (drill)"), default=False)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.TextField(_("summary"), blank=True)
    timeline = models.JSONField(_("timeline"), default=list, blank=True)
    forces = models.JSONField(_("forces deployed"), default=list, blank=True)
    supplies = models.JSONField(_("supplies deployed"), default=list, blank=True)
    deaths = models.PositiveIntegerField(_("deaths"), default=0)
    serious_injuries = models.PositiveIntegerField(_("serious injuries"), default=0)
    injuries = models.PositiveIntegerField(_("injuries"), default=0)
    missing = models.PositiveIntegerField(_("missing"), default=0)
    needs = models.TextField(_("needs"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)

    jurisdiction_path = "incident__area__path"

    class Meta:
        verbose_name = _("situation report")
        verbose_name_plural = _("situation reports")
        ordering = ["incident", "number"]
        constraints = [models.UniqueConstraint(fields=["incident", "number"], name="sitrep_unique_number")]

    def __str__(self):
        return f"{self.incident} #{self.number}"

    def change_area_path(self) -> str:
        return self.incident.area.path


# Like the other incident models (see incidents/roles.py); team leaders get nothing.
