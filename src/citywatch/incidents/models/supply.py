from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.incidents.choices import SupplyStatus


def qty(**kwargs):
    return models.DecimalField(max_digits=14, decimal_places=3, default=Decimal(0), **kwargs)


class SupplyRequest(DomainModel):
    """Supplies asked of a depot for an incident. Shipping writes ``issue`` lines to the stock ledger
    (reference ``INC-<incident id>``) and may be partial; the ledger refuses to overdraw."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="supply_requests"
    )
    depot = models.ForeignKey("resources.Depot", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("resources.SupplyItem", on_delete=models.PROTECT, related_name="+")
    quantity_requested = qty()
    quantity_approved = qty()
    quantity_shipped = qty()
    quantity_received = qty()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SupplyStatus.choices, default=SupplyStatus.REQUESTED
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    requested_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    jurisdiction_path = "incident__area__path"

    class Meta:
        verbose_name = _("supply request")
        verbose_name_plural = _("supply requests")
        ordering = ["requested_at", "id"]

    def __str__(self):
        return f"{self.item} × {self.quantity_requested} for {self.incident}"

    def change_area_path(self) -> str:
        return self.incident.area.path
