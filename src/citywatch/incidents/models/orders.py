from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.incidents.choices import DispatchStatus


class ResponseOrder(DomainModel):
    """What a dispatch order (``Dispatch``: a rescue team) and an expert summons (``ExpertSummons``)
    share: the order's status and its step timestamps, the ETA when it was given, who gave it.

    requested → accepted → en route → on scene → (completed: the recipient reports the task done) →
    released, or declined (by the recipient) or recalled (by
    the command, with a reason) from requested; the transition
    engine is ``citywatch.incidents.actions.order_transition``. A concrete order adds its ``incident``
    (with its own related_name) and the resource it sends."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DispatchStatus.choices, default=DispatchStatus.REQUESTED
    )
    # The engine's travel time from the resource to the incident when the order was given (None: the
    # resource has no location, or unknown).
    eta_s = models.FloatField(_("ETA (s)"), null=True, blank=True)
    eta_method = models.CharField(max_length=16, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    recalled_at = models.DateTimeField(null=True, blank=True)
    # Why the command took a requested order back (required to recall; the log and the recipient see it).
    recall_reason = models.CharField(_("reason for the recall"), max_length=200, blank=True)
    # The recipient's closing note when they reported the task complete (required to complete).
    completion_note = models.CharField(_("closing note"), max_length=200, blank=True)

    jurisdiction_path = "incident__area__path"

    class Meta:
        abstract = True
        ordering = ["requested_at", "id"]

    # The prefix of the order's number (``number``), as people quote it on the radio: DP000123.
    number_prefix = ""

    def change_area_path(self) -> str:
        return self.incident.area.path

    @property
    def number(self) -> str:
        """The order's number as confirmations, the phone card and the log show it."""
        return f"{self.number_prefix}{self.pk:06d}" if self.pk else ""
