"""Alarms (one live alarm per rule × station, or per station for staleness) and their history."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.core.models.base import AppendOnly
from citywatch.monitoring.choices import LIVE_STATES, AlarmEventKind, AlarmKind, AlarmLevel, AlarmState


class Alarm(DomainModel):
    """A rule's alarm at a station (or a station's staleness). It escalates in place (``level`` is the
    highest reached since it opened; ``current_level`` what the latest evaluation says), clears when the
    value stays safe for the rule's hold time, is acknowledged (with a note) and closed by people.
    Every move writes an ``AlarmEvent`` and publishes ``alarm.<event>`` through the notify outbox."""

    kind = models.CharField(_("kind"), max_length=8, choices=AlarmKind.choices, default=AlarmKind.RULE)
    rule = models.ForeignKey(
        "monitoring.Rule", verbose_name=_("rule"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="alarms",
    )  # fmt: skip
    station = models.ForeignKey(
        "monitoring.Station", verbose_name=_("station"), on_delete=models.CASCADE, related_name="alarms"
    )
    state = models.CharField(_("state"), max_length=16, choices=AlarmState.choices, default=AlarmState.OPEN)
    level = models.CharField(_("level"), max_length=8, choices=AlarmLevel.choices)
    current_level = models.CharField(_("current level"), max_length=8, choices=AlarmLevel.choices, blank=True)
    value = models.FloatField(_("value"), null=True, blank=True)  # the latest deciding value
    peak_value = models.FloatField(_("peak value"), null=True, blank=True)
    reading_time = models.DateTimeField(_("reading time"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("acknowledgement note"), blank=True)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    jurisdiction_path = "station__area__path"
    changelog_exclude = ("value", "current_level", "reading_time")

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "station"],
                condition=Q(state__in=LIVE_STATES, kind=AlarmKind.RULE),
                name="alarm_one_live_per_rule_station",
            ),
            models.UniqueConstraint(
                fields=["station"],
                condition=Q(state__in=LIVE_STATES, kind=AlarmKind.STALE),
                name="alarm_one_live_stale_per_station",
            ),
        ]
        indexes = [models.Index(fields=["state", "opened_at"])]

    def __str__(self):
        # no related row is read: the change log names an alarm whose rule is being deleted with it
        return f"{self.get_kind_display()} #{self.pk} ({self.get_level_display()})"

    def change_area_path(self) -> str:
        return self.station.area.path if self.station_id else ""

    @property
    def live(self) -> bool:
        return self.state in LIVE_STATES


class AlarmEvent(AppendOnly):
    """One step of an alarm's history (opened, escalated, acknowledged with its note, cleared, closed)."""

    append_only_label = "alarm history"

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=16, choices=AlarmEventKind.choices)
    level = models.CharField(_("level"), max_length=8, choices=AlarmLevel.choices, blank=True)
    value = models.FloatField(_("value"), null=True, blank=True)
    reading_time = models.DateTimeField(_("reading time"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    jurisdiction_path = "alarm__station__area__path"

    class Meta:
        verbose_name = _("alarm event")
        verbose_name_plural = _("alarm events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.level}"
