from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.incidents.choices import ParticipantRole, TaskStatus


class Participant(DomainModel):
    """Someone holding a role in the incident's command for a time (ended_at empty: still holds it)."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=16, choices=ParticipantRole.choices)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    jurisdiction_path = "incident__area__path"

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["started_at", "id"]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    def change_area_path(self) -> str:
        return self.incident.area.path


class Task(DomainModel):
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    jurisdiction_path = "incident__area__path"

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "id"]

    def __str__(self):
        return self.title

    def change_area_path(self) -> str:
        return self.incident.area.path
