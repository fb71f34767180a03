"""Data sources (a department's feed) and their stations."""

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MinValueValidator, RegexValidator
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.monitoring.choices import StationKind, StationStatus

CODE_VALIDATOR = RegexValidator(r"^[a-z0-9][a-z0-9_-]{0,47}$", _("lower-case letters, digits, - and _"))
# MQTT topics and URLs carry station ids: no '/', '+', '#' or white space.
EXTERNAL_ID_VALIDATOR = RegexValidator(r"^[^/+#\s]{1,64}$", _("no '/', '+', '#' or spaces"))


class DataSource(DomainModel):
    """One department's feed (e.g. the meteorological bureau's rain gauges): who runs it, what it
    measures, how often it reports, and the machine user whose tokens may write its stations' readings.

    ``area`` is where the source belongs (its department's jurisdiction; the city for a city department);
    a station is stale when silent for ``expected_interval_minutes × STALE_FACTOR``."""

    STALE_FACTOR = 3

    code = models.CharField(_("code"), max_length=48, unique=True, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    department = models.CharField(_("department"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    expected_interval_minutes = models.PositiveIntegerField(
        _("expected reporting interval (minutes)"), default=5, validators=[MinValueValidator(1)]
    )
    area = models.ForeignKey(
        "core.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    # The data_feed user whose API tokens write this source's readings (``citywatch token create --source``).
    feed_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("feed account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fed_sources",
    )
    active = models.BooleanField(_("active"), default=True)
    # A pull adapter (``monitoring.adapters``) polled by the worker; empty: the source pushes.
    pull_adapter = models.CharField(_("pull adapter"), max_length=32, blank=True)
    pull_url = models.URLField(_("pull URL"), max_length=500, blank=True)
    pull_interval_minutes = models.PositiveIntegerField(
        _("pull interval (minutes)"), default=5, validators=[MinValueValidator(1)]
    )
    pull_options = models.JSONField(_("pull options"), default=dict, blank=True)
    last_pulled_at = models.DateTimeField(_("last pulled"), null=True, blank=True, editable=False)
    synthetic = models.BooleanField(_("synthetic (demo)"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    jurisdiction_path = "area__path"

    class Meta:
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def change_area_path(self) -> str:
        return self.area.path if self.area_id else ""

    @property
    def stale_after_minutes(self) -> int:
        return self.expected_interval_minutes * self.STALE_FACTOR


class Station(DomainModel):
    """A monitoring station or sensor of one source. ``external_id`` is the source's own id (unique
    within the source; feeds, topics and files name stations by it); ``area`` is found from the location;
    ``last_seen_at`` is the time of its newest reading (kept by the ingestion)."""

    source = models.ForeignKey(
        DataSource, verbose_name=_("data source"), on_delete=models.PROTECT, related_name="stations"
    )
    external_id = models.CharField(_("external id"), max_length=64, validators=[EXTERNAL_ID_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=24, choices=StationKind.choices)
    location = models.PointField(_("location"), srid=4326)
    area = models.ForeignKey(
        "core.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    input_crs = models.CharField(_("input coordinate system"), max_length=8, default="wgs84")
    elevation_m = models.FloatField(_("elevation (m)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=StationStatus.choices, default=StationStatus.ACTIVE
    )
    last_seen_at = models.DateTimeField(_("last reading"), null=True, blank=True, editable=False)
    synthetic = models.BooleanField(_("synthetic (demo)"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    jurisdiction_path = "area__path"
    # last_seen_at moves with every batch: the change log records the registry, not the traffic.
    changelog_exclude = ("last_seen_at",)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="station_unique_external_id")
        ]
        indexes = [models.Index(fields=["kind"])]

    def __str__(self):
        return self.name

    def change_area_path(self) -> str:
        return self.area.path if self.area_id else ""
