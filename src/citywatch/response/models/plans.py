"""Emergency plans (应急预案): per hazard and area, revisions that never change once written, each with its
levels and, per level, the checklist of actions assigned to organisations with a time limit."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.response.choices import ProposalRule, ResponseLevel

MAX_MINUTES = 60 * 24 * 30  # a month


class Plan(DomainModel):
    """The plan of a hazard for an area (the city's typhoon plan, a district's rainstorm plan). What it
    says lives in its revisions; ``current`` is the one new responses start from."""

    hazard = models.CharField(_("hazard"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    area = models.ForeignKey(
        "core.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    rule = models.CharField(
        _("proposal rule"), max_length=16, choices=ProposalRule.choices, default=ProposalRule.SAME
    )
    # Demo content (the demo's plans after the Xiamen plan's structure): labelled on every page.
    demo = models.BooleanField(_("demo content"), default=False)
    current = models.ForeignKey(
        "response.PlanRevision",
        verbose_name=_("current revision"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    jurisdiction_path = "area__path"

    class Meta:
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")
        ordering = ["hazard", "area__code"]
        constraints = [models.UniqueConstraint(fields=["hazard", "area"], name="response_plan_hazard_area")]

    def __str__(self):
        return self.name

    def change_area_path(self) -> str:
        return self.area.path if self.area_id else ""

    @property
    def hazard_label(self) -> str:
        from citywatch.response.choices import hazard_label

        return hazard_label(self.hazard)


class PlanRevision(DomainModel):
    """One revision of a plan, written whole and never changed: a response keeps the revision it
    started with, whatever is edited later."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    jurisdiction_path = "plan__area__path"

    class Meta:
        verbose_name = _("plan revision")
        verbose_name_plural = _("plan revisions")
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="response_revision_number")]

    def __str__(self):
        return f"{self.plan} r{self.number}"

    def change_area_path(self) -> str:
        return self.plan.area.path


class PlanLevel(DomainModel):
    """A response level the revision has, with the conditions that start it (启动条件)."""

    revision = models.ForeignKey(PlanRevision, on_delete=models.CASCADE, related_name="levels")
    level = models.CharField(_("level"), max_length=1, choices=ResponseLevel.choices)
    condition = models.TextField(_("conditions"), blank=True)

    jurisdiction_path = "revision__plan__area__path"

    class Meta:
        verbose_name = _("plan level")
        verbose_name_plural = _("plan levels")
        ordering = ["revision", "-level"]
        constraints = [models.UniqueConstraint(fields=["revision", "level"], name="response_level_once")]

    def __str__(self):
        return self.get_level_display()

    def change_area_path(self) -> str:
        return self.revision.plan.area.path


class PlanAction(DomainModel):
    """One action of a level's checklist: what, by whom, within how many minutes of activation."""

    level = models.ForeignKey(PlanLevel, on_delete=models.CASCADE, related_name="actions")
    position = models.PositiveIntegerField(_("order"))
    title = models.CharField(_("action"), max_length=300)
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # As the plan names it (kept even when no organisation of that name is registered).
    organisation_name = models.CharField(_("organisation"), max_length=200)
    minutes = models.PositiveIntegerField(
        _("time limit (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(MAX_MINUTES)]
    )

    jurisdiction_path = "level__revision__plan__area__path"

    class Meta:
        verbose_name = _("plan action")
        verbose_name_plural = _("plan actions")
        ordering = ["level", "position", "id"]

    def __str__(self):
        return self.title

    def change_area_path(self) -> str:
        return self.level.revision.plan.area.path
