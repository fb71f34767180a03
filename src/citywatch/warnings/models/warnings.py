"""A warning (预警) and its versions: every issue, update and lift is a new version referencing the
previous one, with the CAP document it was published (or imported) as."""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.core.models.base import AppendOnly, AppendOnlyQuerySet, RestrictedQuerySet, Scope
from citywatch.warnings.choices import Change, Level, MsgType, Source, WarningStatus

# The warnings seen from below their area: published ones (drafts stay with whoever drafts at that level).
PUBLISHED = (WarningStatus.ISSUED, WarningStatus.LIFTED, WarningStatus.EXPIRED)


def concerning_q(scope: Scope, prefix: str = "", outer: str = "pk") -> Q:
    """The warnings a user of ``scope`` may view: those of their jurisdiction (``area`` in it), and the
    published ones whose area lies above it and that concern it — naming no area (the whole area: drawn
    polygons only), or naming an area in the jurisdiction or above it (the city; their district among
    several). ``prefix`` reaches the warning from another model (``warning__``), whose column ``outer``
    holds the warning's id."""
    mine = scope.q(f"{prefix}area__path")
    ancestors = scope.ancestors()
    if not ancestors:
        return mine
    named = Warning.areas.through.objects.filter(warning_id=OuterRef(outer))
    relevant = named.filter(Q(adminarea__path__startswith=scope.path) | Q(adminarea__path__in=ancestors))
    above = Q(**{f"{prefix}area__path__in": ancestors, f"{prefix}status__in": PUBLISHED})
    return mine | (above & (Q(Exists(relevant)) | ~Q(Exists(named))))


class WarningQuerySet(RestrictedQuerySet):
    """District staff see the published warnings above their district that concern it (``concerning_q``);
    they change only their own."""

    view_reaches_above = True

    def jurisdiction_q(self, user, scope, action):
        if action != "view":
            return super().jurisdiction_q(user, scope, action)
        return concerning_q(scope)


class WarningVersionQuerySet(AppendOnlyQuerySet):
    """A version is seen where its warning is."""

    view_reaches_above = True

    def jurisdiction_q(self, user, scope, action):
        if action != "view":
            return super().jurisdiction_q(user, scope, action)
        return concerning_q(scope, "warning__", "warning_id")


class Warning(DomainModel):
    """What a city tells its people and responders: a hazard, a level, an area, a time span, what to do.

    ``area`` is the place the warning belongs to (its jurisdiction: the smallest area holding every named
    area); ``areas`` the districts, streets or communities named; ``geometry`` the area as drawn (the named
    areas' boundaries, and/or polygons). ``version`` counts changes (optimistic locking, as incidents do);
    the published versions are ``WarningVersion`` rows."""

    hazard = models.ForeignKey(
        "warnings.HazardType", verbose_name=_("hazard type"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=WarningStatus.choices, default=WarningStatus.DRAFT
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.CITYWATCH)
    exercise = models.BooleanField(_("exercise (drill)"), default=False)
    area = models.ForeignKey(
        "core.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    areas = models.ManyToManyField("core.AdminArea", verbose_name=_("areas"), related_name="+", blank=True)
    polygons = models.MultiPolygonField(_("polygons"), srid=4326, null=True, blank=True)
    geometry = models.MultiPolygonField(_("area as drawn"), srid=4326, null=True, blank=True)
    onset = models.DateTimeField(_("onset"), null=True, blank=True)
    expires = models.DateTimeField(_("expires"), null=True, blank=True)
    headline = models.CharField(_("headline"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    instructions = models.TextField(_("instructions"), blank=True)
    headline_en = models.CharField(_("English headline"), max_length=200, blank=True)
    description_en = models.TextField(_("English description"), blank=True)
    instructions_en = models.TextField(_("English instructions"), blank=True)
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    proposal = models.ForeignKey(
        "warnings.Proposal",
        verbose_name=_("proposal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="warnings",
    )
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = WarningQuerySet.as_manager()

    jurisdiction_path = "area__path"
    changelog_exclude = ("geometry", "polygons")

    class Meta:
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires"])]

    def __str__(self):
        return self.headline

    def change_area_path(self) -> str:
        return self.area.path if self.area_id else ""


class WarningVersion(AppendOnly):
    """One published state of a warning: the CAP message it went out (or came in) as. ``previous`` is the
    version it updates or cancels; ``cap`` the document exactly as published or received."""

    append_only_label = "warning's version history"

    warning = models.ForeignKey(Warning, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next"
    )
    change = models.CharField(_("change"), max_length=12, choices=Change.choices)
    msg_type = models.CharField(_("message type"), max_length=8, choices=MsgType.choices)
    identifier = models.CharField(_("CAP identifier"), max_length=255)
    sender = models.CharField(_("CAP sender"), max_length=255)
    sent = models.DateTimeField(_("sent"))
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    hazard = models.CharField(_("hazard type"), max_length=32)
    onset = models.DateTimeField(_("onset"), null=True, blank=True)
    expires = models.DateTimeField(_("expires"), null=True, blank=True)
    headline = models.CharField(_("headline"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    instructions = models.TextField(_("instructions"), blank=True)
    area_codes = models.JSONField(_("area codes"), default=list)
    geometry = models.MultiPolygonField(_("area"), srid=4326, null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cap = models.TextField(_("CAP document"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WarningVersionQuerySet.as_manager()

    jurisdiction_path = "warning__area__path"

    class Meta:
        verbose_name = _("warning version")
        verbose_name_plural = _("warning versions")
        ordering = ["warning", "number"]
        constraints = [
            models.UniqueConstraint(fields=["warning", "number"], name="warnings_version_number"),
            models.UniqueConstraint(fields=["sender", "identifier"], name="warnings_version_cap_identity"),
        ]

    def __str__(self):
        return f"{self.warning_id} v{self.number} {self.msg_type}"
