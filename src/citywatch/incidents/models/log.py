from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citywatch.core.models.base import AppendOnly, ReadOnlyError  # noqa: F401  (ReadOnlyError re-exported)
from citywatch.incidents.choices import LogKind


class IncidentLog(AppendOnly):
    """The incident's running log (append-only): notes, status changes, dispatches, supplies."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="log")
    time = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LogKind.choices)
    text = models.TextField(_("text"))
    data = models.JSONField(_("data"), default=dict, blank=True)

    append_only_label = "incident log"

    jurisdiction_path = "incident__area__path"

    class Meta:
        verbose_name = _("incident log entry")
        verbose_name_plural = _("incident log")
        ordering = ["time", "id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:60]}"
