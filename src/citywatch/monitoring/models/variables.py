"""The variable catalogue: what stations measure, in which unit, within which valid range."""

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.monitoring.models.sources import CODE_VALIDATOR


class Variable(DomainModel):
    """A measured quantity (``rain`` in mm per reporting interval, ``water_level`` in m, …). A reading
    outside ``[valid_min, valid_max]`` is refused. Seeded by migration 0002; a catalogue (no jurisdiction)."""

    code = models.CharField(_("code"), max_length=48, unique=True, validators=[CODE_VALIDATOR])
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    unit = models.CharField(_("unit"), max_length=16)
    valid_min = models.FloatField(_("valid minimum"))
    valid_max = models.FloatField(_("valid maximum"))
    decimals = models.PositiveSmallIntegerField(_("decimals shown"), default=1)

    class Meta:
        verbose_name = _("variable")
        verbose_name_plural = _("variables")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_min__lt=models.F("valid_max")), name="variable_range"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if (translation.get_language() or "").startswith("zh") else self.name_en
