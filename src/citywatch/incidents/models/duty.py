from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.core.models.base import AppendOnly


class DutyShift(DomainModel):
    """One shift of the duty roster (值班表) for an area (the city or a district): the duty officer on
    watch and the leader on call (带班领导). ``date`` is the local (Asia/Shanghai) day the shift starts."""

    area = models.ForeignKey(
        "core.AdminArea", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    duty_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("duty officer"), on_delete=models.PROTECT, related_name="+"
    )
    leader_on_call = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader on call"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    jurisdiction_path = "area__path"

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["start", "area__path", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="dutyshift_end_after_start"),
            models.UniqueConstraint(fields=["area", "start"], name="dutyshift_unique_area_start"),
        ]

    def __str__(self):
        start, end = timezone.localtime(self.start), timezone.localtime(self.end)
        return f"{self.area} {start:%Y-%m-%d %H:%M}–{end:%H:%M}"

    def change_area_path(self) -> str:
        return self.area.path


class HandoverEntry(AppendOnly):
    """The shift handover log (值班日志), append-only: what happened, and what the next shift inherits."""

    shift = models.ForeignKey(DutyShift, on_delete=models.PROTECT, related_name="handover")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    time = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    text = models.TextField(_("text"))
    # Matters handed to the next shift: ["跟踪同安区滑坡续报", …]
    open_items = models.JSONField(_("open items"), default=list, blank=True)

    append_only_label = "handover log"

    jurisdiction_path = "shift__area__path"

    class Meta:
        verbose_name = _("handover entry")
        verbose_name_plural = _("handover log")
        ordering = ["time", "id"]

    def __str__(self):
        return self.text[:60]
