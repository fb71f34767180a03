from decimal import Decimal

from django.contrib.gis.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.core.models.base import RestrictedManager
from citywatch.resources.choices import DepotKind, MovementKind, SupplyCategory
from citywatch.resources.models.base import Resource, unique_external_id


class Depot(Resource):
    """A reserve depot (储备库) or community supply reserve station (物资储备站)."""

    kind = models.CharField(_("kind"), max_length=32, choices=DepotKind.choices)
    manager = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("managed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)

    class Meta(Resource.Meta):
        verbose_name = _("depot")
        verbose_name_plural = _("depots")
        constraints = [unique_external_id("depot")]


class SupplyItem(DomainModel):
    """The catalogue of supplies (tents, life jackets, pumps, …), shared by all depots."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=16, choices=SupplyCategory.choices)
    unit = models.CharField(_("unit"), max_length=16)

    class Meta:
        verbose_name = _("supply item")
        verbose_name_plural = _("supply items")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.unit})"


class StockBalance(models.Model):
    """The current quantity of one item in one depot: maintained by the ledger actions under a row lock,
    always equal to the sum of that pair's movements, never negative."""

    depot = models.ForeignKey(Depot, on_delete=models.CASCADE, related_name="balances")
    item = models.ForeignKey(SupplyItem, on_delete=models.PROTECT, related_name="balances")
    quantity = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal(0))
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager()
    jurisdiction_path = "depot__area__path"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["depot", "item"], name="stockbalance_unique_pair"),
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="stockbalance_never_negative"),
        ]


class StockMovement(models.Model):
    """One line of the stock ledger (append-only): receipt, issue, transfer, adjustment, expiry."""

    depot = models.ForeignKey(Depot, on_delete=models.PROTECT, related_name="movements")
    item = models.ForeignKey(SupplyItem, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=16, choices=MovementKind.choices)
    # Signed: what this movement added to (or took from) the balance.
    delta = models.DecimalField(_("quantity change"), max_digits=14, decimal_places=3)
    balance_after = models.DecimalField(_("balance after"), max_digits=14, decimal_places=3)
    time = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey("core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    counterpart = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the other side of a transfer",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = RestrictedManager()
    jurisdiction_path = "depot__area__path"

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["depot", "item", "time"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.delta} {self.item.unit} {self.item.name} @ {self.depot}"
