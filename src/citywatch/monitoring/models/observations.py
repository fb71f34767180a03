"""Observations (one row per station × variable × time), their corrections, and dead letters.

An observation is keyed by (station, variable, time): its composite primary key (migration 0005), which
includes the partition key as a partitioned table's must. On PostgreSQL the table is range-partitioned by
month on ``time`` (migration 0001 creates it so; ``actions.partitions`` creates partitions ahead and drops
them for retention), with a BRIN index on ``time`` and a (variable, time) b-tree. On SQLite it is a plain
table. Observations are not change-logged row by row (they are many): a corrected value is
an explicit ``ObservationCorrection`` with the value it replaced.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import RestrictedManager
from citywatch.core.models.base import AppendOnly
from citywatch.monitoring.choices import Channel, Quality, RejectKind


class Observation(models.Model):
    """A reading: ``value`` of ``variable`` at ``station`` at ``time`` (UTC), with a quality flag.

    No database foreign keys (``db_constraint=False``): the ingestion resolves every reading's station and
    variable in its transaction, and the two constraints cost as much as the insert at every commit
    (migration 0003). Deleting through Django still cascades (station) or is refused (variable)."""

    pk = models.CompositePrimaryKey("station", "variable", "time")
    station = models.ForeignKey(
        "monitoring.Station",
        verbose_name=_("station"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,  # the primary key's first column
    )
    variable = models.ForeignKey(
        "monitoring.Variable",
        verbose_name=_("variable"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    time = models.DateTimeField(_("time"))
    value = models.FloatField(_("value"))
    quality = models.PositiveSmallIntegerField(_("quality"), choices=Quality.choices, default=Quality.GOOD)

    objects = RestrictedManager()

    jurisdiction_path = "station__area__path"

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")

    def __str__(self):
        return f"{self.station_id}/{self.variable_id}@{self.time:%Y-%m-%dT%H:%M:%SZ}={self.value}"


class ObservationCorrection(AppendOnly):
    """The history of a corrected reading: the value (and quality) it had before, the new one, who and
    why. Written by ``actions.ingest`` when a batch says ``correct``; never changed."""

    append_only_label = "correction history"

    station = models.ForeignKey(
        "monitoring.Station", verbose_name=_("station"), on_delete=models.CASCADE, related_name="+"
    )
    variable = models.ForeignKey(
        "monitoring.Variable", verbose_name=_("variable"), on_delete=models.PROTECT, related_name="+"
    )
    time = models.DateTimeField(_("time"))
    old_value = models.FloatField(_("old value"))
    new_value = models.FloatField(_("new value"))
    old_quality = models.PositiveSmallIntegerField(_("old quality"), choices=Quality.choices)
    new_quality = models.PositiveSmallIntegerField(_("new quality"), choices=Quality.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    corrected_at = models.DateTimeField(_("corrected at"), auto_now_add=True)

    jurisdiction_path = "station__area__path"

    class Meta:
        verbose_name = _("observation correction")
        verbose_name_plural = _("observation corrections")
        ordering = ["station", "variable", "time", "id"]
        indexes = [models.Index(fields=["station", "variable", "time"])]


class DeadLetter(models.Model):
    """A message a feed sent that could not be read at all (a malformed MQTT payload, a pull answer that
    is not JSON …), kept with the reason so the source's owner can be told. Readings that were read but
    refused are counted in the ingestion's answer, not here."""

    MAX_PAYLOAD_CHARS = 4000

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    source = models.ForeignKey(
        "monitoring.DataSource",
        verbose_name=_("data source"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="dead_letters",
    )
    where = models.CharField(_("topic or address"), max_length=300, blank=True)
    payload = models.TextField(_("payload (start)"), blank=True)
    payload_bytes = models.PositiveIntegerField(_("payload bytes"), default=0)
    reason = models.CharField(_("reason"), max_length=500)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)

    objects = RestrictedManager()

    jurisdiction_path = "source__area__path"

    class Meta:
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.channel} {self.where}: {self.reason}"


class RejectTally(models.Model):
    """How many readings of a source the ingestion refused, per hour and kind of reason (the feed health's
    "rejects"). Bounded whatever a feed sends: at most one row per source × hour × kind, kept
    ``CITYWATCH_REJECT_RETENTION_DAYS``; the readings themselves are not kept."""

    source = models.ForeignKey(
        "monitoring.DataSource", verbose_name=_("data source"), on_delete=models.CASCADE, related_name="+"
    )
    hour = models.DateTimeField(_("hour"))
    kind = models.CharField(_("reason"), max_length=20, choices=RejectKind.choices)
    count = models.PositiveBigIntegerField(_("readings"), default=0)

    objects = RestrictedManager()

    jurisdiction_path = "source__area__path"

    class Meta:
        verbose_name = _("rejected readings (hourly count)")
        verbose_name_plural = _("rejected readings (hourly counts)")
        constraints = [models.UniqueConstraint(fields=["source", "hour", "kind"], name="reject_tally_unique")]

    def __str__(self):
        return f"{self.source_id} {self.hour:%Y-%m-%dT%H}Z {self.kind}: {self.count}"


class RecentReject(models.Model):
    """One of the last ``RECENT_PER_SOURCE`` refused readings of a source (older ones are deleted as new
    ones come): when, which station id and variable code the feed sent, and the kind of reason — enough to
    tell the department what to fix."""

    RECENT_PER_SOURCE = 20

    source = models.ForeignKey(
        "monitoring.DataSource", verbose_name=_("data source"), on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(_("refused at"))
    kind = models.CharField(_("reason"), max_length=20, choices=RejectKind.choices)
    station = models.CharField(_("station id"), max_length=64, blank=True)
    variable = models.CharField(_("variable"), max_length=48, blank=True)

    objects = RestrictedManager()

    jurisdiction_path = "source__area__path"

    class Meta:
        verbose_name = _("rejected reading")
        verbose_name_plural = _("rejected readings")
        indexes = [models.Index(fields=["source", "-at", "-id"], name="recent_reject_source_idx")]

    def __str__(self):
        return f"{self.source_id} {self.at:%Y-%m-%dT%H:%M:%SZ} {self.kind} {self.station}/{self.variable}"
