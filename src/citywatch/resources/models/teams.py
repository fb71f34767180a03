from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from citywatch.resources.choices import FacilityKind, MedicalLevel, Readiness, TeamKind, TeamStatus
from citywatch.resources.models.base import Resource, unique_external_id


class RescueTeam(Resource):
    kind = models.CharField(_("kind"), max_length=32, choices=TeamKind.choices)
    owner = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    members = models.PositiveIntegerField(_("members"), default=0)
    core_members = models.PositiveIntegerField(_("core members"), default=0)
    # [{"name": "冲锋舟", "quantity": 2, "unit": "艘"}, …]
    equipment = models.JSONField(_("equipment"), default=list, blank=True)
    contact_name = models.CharField(_("contact"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    # The team leader on record: a dispatch order goes to them unless the dispatcher names someone else,
    # and they may edit this team (the row rule in ``resources/roles.py``). A team without one is flagged.
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )
    # Changed only by dispatch orders while one is active (``resources.actions.HOLDERS``).
    status = models.CharField(
        _("status"), max_length=16, choices=TeamStatus.choices, default=TeamStatus.AVAILABLE
    )
    readiness = models.CharField(
        _("readiness"), max_length=16, choices=Readiness.choices, default=Readiness.IMMEDIATE
    )

    class Meta(Resource.Meta):
        verbose_name = _("rescue team")
        verbose_name_plural = _("rescue teams")
        constraints = [
            unique_external_id("rescueteam"),
            models.CheckConstraint(
                condition=models.Q(core_members__lte=models.F("members")),
                name="rescueteam_core_within_members",
            ),
        ]


class MedicalFacility(Resource):
    level = models.CharField(_("level"), max_length=16, choices=MedicalLevel.choices)
    beds = models.PositiveIntegerField(_("beds"), default=0)
    emergency_department = models.BooleanField(_("emergency department"), default=False)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)

    class Meta(Resource.Meta):
        verbose_name = _("medical facility")
        verbose_name_plural = _("medical facilities")
        constraints = [unique_external_id("medicalfacility")]


class Facility(Resource):
    kind = models.CharField(_("kind"), max_length=32, choices=FacilityKind.choices)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)

    class Meta(Resource.Meta):
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        constraints = [unique_external_id("facility")]
