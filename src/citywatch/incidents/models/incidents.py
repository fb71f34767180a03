from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.incidents.choices import Category, IncidentStatus, IncidentType, ReportedVia, Severity


class Incident(DomainModel):
    """An emergency incident (突发事件) from the first report to closure."""

    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    type = models.CharField(_("type"), max_length=24, choices=IncidentType.choices)
    severity = models.CharField(_("severity"), max_length=1, choices=Severity.choices, default=Severity.IV)
    description = models.TextField(_("description"), blank=True)
    location = models.PointField(_("location"), srid=4326)
    affected_area = models.MultiPolygonField(_("affected area"), srid=4326, null=True, blank=True)
    area = models.ForeignKey(
        "core.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    # The location lies outside every district boundary: accepted, filed under the city, flagged.
    outside_city = models.BooleanField(_("outside the city"), default=False)
    # The location lies in the sea (outside every district, the reporter confirmed it): maritime
    # search-and-rescue resources are offered first.
    at_sea = models.BooleanField(_("at sea"), default=False)
    reported_via = models.CharField(
        _("reported via"), max_length=16, choices=ReportedVia.choices, default=ReportedVia.PHONE
    )
    exercise = models.BooleanField(_("exercise (drill)"), default=False)
    deaths = models.PositiveIntegerField(_("deaths"), default=0)
    serious_injuries = models.PositiveIntegerField(_("serious injuries"), default=0)
    injuries = models.PositiveIntegerField(_("injuries"), default=0)
    missing = models.PositiveIntegerField(_("missing"), default=0)
    people_trapped = models.PositiveIntegerField(_("people trapped"), default=0)
    direct_loss_cny = models.DecimalField(
        _("direct loss (CNY)"), max_digits=16, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    # Who called it in (the reporting member of the public or unit), to call back.
    caller_name = models.CharField(_("caller's name"), max_length=100, blank=True)
    caller_phone = models.CharField(_("caller's phone"), max_length=32, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    status = models.CharField(
        _("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.REPORTED
    )
    # When it happened (as the caller says), as against when it was reported.
    occurred_at = models.DateTimeField(_("time of occurrence"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    responding_at = models.DateTimeField(_("responding at"), null=True, blank=True)
    stabilised_at = models.DateTimeField(_("stabilised at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Upward reporting (信息报送): the first (quick) report and the written report.
    first_report_at = models.DateTimeField(_("first report at"), null=True, blank=True)
    written_report_at = models.DateTimeField(_("written report at"), null=True, blank=True)
    # Optimistic locking: every change adds one; a client that sends an older version gets 409.
    version = models.PositiveIntegerField(_("version"), default=1)

    jurisdiction_path = "area__path"

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["status", "reported_at"])]

    def __str__(self):
        return self.title

    def change_area_path(self) -> str:
        return self.area.path if self.area_id else ""
