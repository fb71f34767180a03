"""Responses (应急响应): the city switched into a plan's mode at a level, with its checklist, its timeline
and the proposals that warnings made."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.core.models.base import AppendOnly
from citywatch.response.choices import (
    ActionStatus,
    EventKind,
    ProposalKind,
    ResponseLevel,
    ResponseProposalStatus,
    ResponseStatus,
    hazard_label,
)

USER = settings.AUTH_USER_MODEL


class Response(DomainModel):
    """A response at a level for an area and a hazard, started, changed and ended by a commander. One at
    most is active per hazard, area and kind (real or exercise): the database says so too, so two
    commanders starting the same response at once get one response and a 409."""

    plan = models.ForeignKey(
        "response.Plan", verbose_name=_("plan"), on_delete=models.PROTECT, related_name="+"
    )
    revision = models.ForeignKey(
        "response.PlanRevision", verbose_name=_("plan revision"), on_delete=models.PROTECT, related_name="+"
    )
    hazard = models.CharField(_("hazard"), max_length=32)
    area = models.ForeignKey(
        "core.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("level"), max_length=1, choices=ResponseLevel.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=ResponseStatus.choices, default=ResponseStatus.ACTIVE
    )
    exercise = models.BooleanField(_("exercise (drill)"), default=False)
    reason = models.TextField(_("reason"), blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    started_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # When the current level was set (the start, or the last upgrade or downgrade).
    level_since = models.DateTimeField(_("level since"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    end_reason = models.TextField(_("reason for ending"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    jurisdiction_path = "area__path"

    class Meta:
        verbose_name = _("emergency response")
        verbose_name_plural = _("emergency responses")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["hazard", "area", "exercise"],
                condition=Q(status="active"),
                name="response_one_active",
            )
        ]

    def __str__(self):
        return f"{self.area.name} {hazard_label(self.hazard)} {self.get_level_display()}"

    def change_area_path(self) -> str:
        return self.area.path if self.area_id else ""

    @property
    def hazard_label(self) -> str:
        return hazard_label(self.hazard)

    @property
    def active(self) -> bool:
        return self.status == ResponseStatus.ACTIVE


class ChecklistAction(DomainModel):
    """One action of a running response, copied from its plan revision when its level was reached: owner,
    deadline (activation + the plan's minutes), done with a note, escalated once when overdue."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="actions")
    plan_action = models.ForeignKey(
        "response.PlanAction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    level = models.CharField(_("level"), max_length=1, choices=ResponseLevel.choices)
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
    organisation_name = models.CharField(_("organisation"), max_length=200)
    minutes = models.PositiveIntegerField(_("time limit (minutes)"))
    activated_at = models.DateTimeField(_("activated at"))
    deadline = models.DateTimeField(_("deadline"), db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("note"), blank=True)
    # Set once by the worker that escalated it (a conditional UPDATE claims it).
    overdue_at = models.DateTimeField(_("escalated as overdue at"), null=True, blank=True)

    jurisdiction_path = "response__area__path"

    class Meta:
        verbose_name = _("checklist action")
        verbose_name_plural = _("checklist actions")
        ordering = ["response", "deadline", "position", "id"]
        indexes = [models.Index(fields=["status", "deadline"], name="response_action_due_idx")]

    def __str__(self):
        return self.title

    def change_area_path(self) -> str:
        return self.response.area.path

    def is_overdue(self, now=None) -> bool:
        return self.status == ActionStatus.OPEN and self.deadline < (now or timezone.now())

    @property
    def late(self) -> bool:
        """Done after its deadline."""
        return self.done_at is not None and self.done_at > self.deadline


class ResponseEvent(AppendOnly):
    """The response's timeline, append-only: started, upgraded, downgraded, ended, actions done and
    overdue, warnings and proposals. Texts in the site language; code reads ``data``."""

    append_only_label = "response timeline"

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="events")
    time = models.DateTimeField(_("time"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    text = models.CharField(_("entry"), max_length=1000)
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)

    jurisdiction_path = "response__area__path"

    class Meta:
        verbose_name = _("response timeline entry")
        verbose_name_plural = _("response timeline entries")
        ordering = ["time", "id"]

    def __str__(self):
        return self.text


class Proposal(DomainModel):
    """What a warning proposes by its plan's rule: start a response, upgrade the running one, or end it.
    The system proposes; a commander acts (nothing starts by itself)."""

    kind = models.CharField(_("kind"), max_length=8, choices=ProposalKind.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ResponseProposalStatus.choices,
        default=ResponseProposalStatus.OPEN,
    )
    hazard = models.CharField(_("hazard"), max_length=32)
    area = models.ForeignKey(
        "core.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("proposed level"), max_length=1, choices=ResponseLevel.choices, blank=True)
    exercise = models.BooleanField(_("exercise (drill)"), default=False)
    plan = models.ForeignKey("response.Plan", on_delete=models.CASCADE, related_name="+")
    # The running response an upgrade or an end is about; the response a start led to.
    response = models.ForeignKey(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    # The warning event (the outbox message warning.issued/updated/lifted) that made it.
    message = models.ForeignKey(
        "notify.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    warning_level = models.CharField(_("warning level"), max_length=8, blank=True)
    warning_subject = models.CharField(_("warning"), max_length=200, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision_note = models.TextField(_("note"), blank=True)

    jurisdiction_path = "area__path"

    class Meta:
        verbose_name = _("response proposal")
        verbose_name_plural = _("response proposals")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {hazard_label(self.hazard)} {self.get_level_display()}"

    def change_area_path(self) -> str:
        return self.area.path if self.area_id else ""

    @property
    def hazard_label(self) -> str:
        return hazard_label(self.hazard)

    @property
    def sentence(self) -> str:
        """What it proposes, in the active language ("建议：厦门市启动台风Ⅲ级应急响应")."""
        from django.utils.translation import gettext

        from citywatch.response.choices import PROPOSAL_TEXT, ROMAN

        return gettext(PROPOSAL_TEXT[self.kind]) % {
            "level": ROMAN.get(self.level, ""),
            "hazard": self.hazard_label,
            "area": self.area.name,
        }
