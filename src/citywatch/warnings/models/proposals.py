"""A proposal: a warning signal computed from the monitoring data (DOMAIN.md §3.1) for a person to issue."""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.warnings.choices import Level, ProposalStatus


class Proposal(DomainModel):
    """One hazard in one area: the level the signal rules reach now, the readings that triggered it, and
    the highest level already issued from it (``issued_level``) so the same level is never issued twice.
    There is at most one open proposal per hazard and area; it climbs as the storm grows. A dismissed one
    holds its area (``dismissed_level``) until the signal rises above that level or lapses."""

    hazard = models.ForeignKey(
        "warnings.HazardType", verbose_name=_("hazard type"), on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey(
        "core.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    issued_level = models.CharField(_("issued level"), max_length=8, choices=Level.choices, blank=True)
    value = models.FloatField(_("value"))
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    criterion = models.CharField(_("criterion"), max_length=120)
    # [{"station": code, "station_name", "variable", "time": ISO 8601, "value"}]
    triggers = models.JSONField(_("triggering readings"), default=list)
    # [{"level", "at"}]: every level the proposal reached, in order.
    history = models.JSONField(_("history"), default=list)
    observed_at = models.DateTimeField(_("newest reading at"))
    exercise = models.BooleanField(_("exercise (drill)"), default=False)
    # A person's "no" (``actions.dismiss_proposal``): the level dismissed and why. The proposal stays
    # dismissed while the signal holds at or below that level, and opens again when it rises above it.
    dismissed_level = models.CharField(_("dismissed level"), max_length=8, choices=Level.choices, blank=True)
    dismiss_reason = models.TextField(_("reason for dismissing"), blank=True)
    dismissed_by = models.ForeignKey(
        "core.User",
        verbose_name=_("dismissed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    dismissed_at = models.DateTimeField(_("dismissed at"), null=True, blank=True)
    # When an ingested batch last recomputed it: the worker's minute leaves it alone for a few minutes
    # (``BATCH_HOLD``), so a replay or a backlog judged as of its own readings is not undone at once.
    batch_at = models.DateTimeField(_("recomputed by a batch at"), null=True, blank=True)

    jurisdiction_path = "area__path"

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["hazard", "area"],
                condition=models.Q(status="open"),
                name="warnings_proposal_one_open",
            )
        ]

    def __str__(self):
        return f"{self.hazard} {self.get_level_display()} {self.area}"

    def change_area_path(self) -> str:
        return self.area.path if self.area_id else ""
