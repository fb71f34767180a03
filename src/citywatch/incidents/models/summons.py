from django.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.incidents.models.orders import ResponseOrder


class ExpertSummons(ResponseOrder):
    """An expert summoned to an incident, the way a rescue team is dispatched (see ``Dispatch``):
    requested → accepted → en route → on scene → released, or declined from requested. The expert's
    availability follows the summons (``citywatch.incidents.actions.orders``). Experts are not users, so the
    summoning side moves every step."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="summonses")
    expert = models.ForeignKey("resources.Expert", on_delete=models.PROTECT, related_name="+")

    number_prefix = "ES"

    class Meta(ResponseOrder.Meta):
        verbose_name = _("expert summons")
        verbose_name_plural = _("expert summonses")

    def __str__(self):
        return f"{self.expert} → {self.incident}"
