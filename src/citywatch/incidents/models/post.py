from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel


def command_post_target_minutes() -> int:
    """Minutes after verification by which the forward command post should stand (default 30)."""
    return settings.CITYWATCH_COMMAND_POST_TARGET_MINUTES


class CommandPost(DomainModel):
    """The forward command post (前方指挥部) of an incident. At most one is active (not closed) per
    incident; the time from verification is measured against CITYWATCH_COMMAND_POST_TARGET_MINUTES."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="command_posts")
    location = models.PointField(_("location"), srid=4326)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # [{"name": "张三", "role": "通信保障"}, …]: members need not be users of the system.
    members = models.JSONField(_("members"), default=list, blank=True)
    communications = models.TextField(_("communications"), blank=True)
    established_at = models.DateTimeField(_("established at"))
    established_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    jurisdiction_path = "incident__area__path"

    class Meta:
        verbose_name = _("command post")
        verbose_name_plural = _("command posts")
        ordering = ["established_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"], condition=Q(closed_at__isnull=True), name="commandpost_one_active"
            )
        ]

    def __str__(self):
        return f"{_('command post')} · {self.incident}"

    def change_area_path(self) -> str:
        return self.incident.area.path

    @property
    def active(self) -> bool:
        return self.closed_at is None

    @property
    def minutes_from_verification(self) -> float | None:
        verified = self.incident.verified_at
        if verified is None or self.established_at is None:
            return None
        return round((self.established_at - verified).total_seconds() / 60, 1)

    @property
    def target_minutes(self) -> int:
        return command_post_target_minutes()

    @property
    def within_target(self) -> bool | None:
        minutes = self.minutes_from_verification
        return None if minutes is None else minutes <= self.target_minutes
