"""Monitoring rules (data, editable on a page) and the alarm machine's state per rule × station."""

from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.monitoring.choices import (
    Aggregate,
    AlarmLevel,
    Direction,
    Operator,
    RuleKind,
    RuleTarget,
    StationKind,
)
from citywatch.monitoring.evaluation import MAX_WINDOW_MINUTES

LEVEL_FIELDS = ("blue", "yellow", "orange", "red")


class Rule(DomainModel):
    """A rule on one variable for a set of stations, with up to four levels (a threshold each, in the
    variable's unit; minutes of silence for ``no_data``). Evaluated per ingested batch with
    ``evaluation.py`` (``as_rule()`` gives its engine form); ``margin`` and ``hold_minutes`` are the
    hysteresis that clears an alarm. ``area`` is whose rule it is (jurisdiction; empty: the city's)."""

    name = models.CharField(_("name"), max_length=200)
    variable = models.ForeignKey(
        "monitoring.Variable", verbose_name=_("variable"), on_delete=models.PROTECT, related_name="rules"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=RuleKind.choices, default=RuleKind.THRESHOLD)
    op = models.CharField(_("comparison"), max_length=2, choices=Operator.choices, default=Operator.GE)
    window_minutes = models.PositiveIntegerField(
        _("window (minutes)"), default=0, validators=[MaxValueValidator(MAX_WINDOW_MINUTES)]
    )
    aggregate = models.CharField(
        _("aggregate"), max_length=8, choices=Aggregate.choices, default=Aggregate.SUM
    )
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.RISE
    )
    blue = models.FloatField(_("blue threshold"), null=True, blank=True)
    yellow = models.FloatField(_("yellow threshold"), null=True, blank=True)
    orange = models.FloatField(_("orange threshold"), null=True, blank=True)
    red = models.FloatField(_("red threshold"), null=True, blank=True)
    margin = models.FloatField(_("hysteresis margin"), default=0, validators=[MinValueValidator(0)])
    hold_minutes = models.PositiveIntegerField(_("hold time to clear (minutes)"), default=0)

    target = models.CharField(
        _("stations"), max_length=8, choices=RuleTarget.choices, default=RuleTarget.KIND
    )
    station_kind = models.CharField(_("station kind"), max_length=24, choices=StationKind.choices, blank=True)
    source = models.ForeignKey(
        "monitoring.DataSource",
        verbose_name=_("data source"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules",
    )
    target_area = models.ForeignKey(
        "core.AdminArea",
        verbose_name=_("stations in area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    stations = models.ManyToManyField(
        "monitoring.Station", verbose_name=_("stations"), blank=True, related_name="+"
    )

    area = models.ForeignKey(
        "core.AdminArea",
        verbose_name=_("owner area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    hazard = models.CharField(_("hazard"), max_length=32, blank=True, help_text=_("e.g. rainstorm, flood"))
    enabled = models.BooleanField(_("enabled"), default=True)
    synthetic = models.BooleanField(_("synthetic (demo)"), default=False)

    jurisdiction_path = "area__path"

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["name"]
        indexes = [models.Index(fields=["variable", "enabled"])]

    def __str__(self):
        return self.name

    def change_area_path(self) -> str:
        return self.area.path if self.area_id else ""

    @property
    def levels(self) -> dict[str, float]:
        """The defined levels: ``{"blue": 20.0, …}``."""
        return {lvl: getattr(self, lvl) for lvl in LEVEL_FIELDS if getattr(self, lvl) is not None}

    def as_rule(self):
        """The engine's rule (``evaluation.Rule``); ValueError if the data do not make one."""
        from citywatch.monitoring.evaluation import Rule as EngineRule

        return EngineRule(
            self.kind,
            self.levels,
            op=self.op,
            window_minutes=self.window_minutes,
            aggregate=self.aggregate,
            direction=self.direction,
            margin=self.margin,
            hold_minutes=self.hold_minutes,
        )

    def level_threshold(self, level: str) -> float | None:
        return getattr(self, level) if level in AlarmLevel.values else None


class RuleState(models.Model):
    """The alarm machine's memory for one rule × station (``evaluation.AlarmState``): the open alarm's level
    (0: none), since when the value has been safe, and the time of the last evaluated reading, so a
    re-sent batch evaluates nothing twice and a hold time spans batches."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="+")
    station = models.ForeignKey("monitoring.Station", on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(default=0)
    safe_since = models.DateTimeField(null=True, blank=True)
    last_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "station"], name="rulestate_unique")]
