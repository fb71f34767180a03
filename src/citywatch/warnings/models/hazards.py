"""Hazard types as data, and the default guidance (what to do) per hazard and level."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.warnings.choices import CapCategory, Level


class HazardType(DomainModel):
    """A kind of warning (暴雨, 台风, …). ``code`` is the slug events and the API carry (``rainstorm``);
    ``computed`` marks the hazards CityWatch computes proposals for from the monitoring data."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    category = models.CharField(_("CAP category"), max_length=8, choices=CapCategory.choices)
    computed = models.BooleanField(_("computed from monitoring"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    # Words that name this hazard in an imported CAP alert's event (comma-separated, any language).
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("hazard type")
        verbose_name_plural = _("hazard types")
        ordering = ["order", "code"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        """The name in the request's language."""
        language = (get_language() or "zh-hans").lower()
        return self.name_en if language.startswith("en") else self.name


class Guidance(DomainModel):
    """The default instructions of a warning of ``hazard`` at ``level`` (editable in each warning)."""

    hazard = models.ForeignKey(
        HazardType, verbose_name=_("hazard type"), on_delete=models.CASCADE, related_name="guidance"
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    instructions = models.TextField(_("instructions"))
    instructions_en = models.TextField(_("English instructions"), blank=True)

    class Meta:
        verbose_name = _("default guidance")
        verbose_name_plural = _("default guidance")
        ordering = ["hazard", "level"]
        constraints = [models.UniqueConstraint(fields=["hazard", "level"], name="warnings_guidance_unique")]

    def __str__(self):
        return f"{self.hazard} {self.get_level_display()}"
