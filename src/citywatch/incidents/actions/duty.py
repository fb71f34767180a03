"""Duty (值班): shifts on the roster of the city or a district, and the shift handover log (值班日志),
which is append-only."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch.core import inputs
from citywatch.core.errors import Conflict, Forbidden, Invalid
from citywatch.core.models import AdminArea
from citywatch.core.models.base import scope_of
from citywatch.incidents.actions.incident import actor
from citywatch.incidents.models import DutyShift, HandoverEntry

MAX_SHIFT = datetime.timedelta(hours=24)
MAX_OPEN_ITEMS = 100


def _label(model, name: str):
    return model._meta.get_field(name).verbose_name


@transaction.atomic
def create_shift(
    user,
    *,
    area: AdminArea,
    start: datetime.datetime,
    end: datetime.datetime,
    duty_officer,
    leader_on_call=None,
    note: str = "",
) -> DutyShift:
    """Put a shift on the roster of ``area`` (the city or a district in the user's jurisdiction); times
    without a time zone are read in the city's. A shift that overlaps another of the same area answers
    409."""
    if area is None or not scope_of(user).covers(area.path):
        raise Forbidden(_("you may only plan shifts in your jurisdiction"))
    if duty_officer is None:
        raise Invalid(_("a shift needs a duty officer"))
    start = inputs.aware(start, _label(DutyShift, "start"))
    end = inputs.aware(end, _label(DutyShift, "end"))
    if start is None or end is None:
        raise Invalid(_("a shift needs a start and an end"))
    if end <= start:
        raise Invalid(_("a shift ends after it starts"))
    if end - start > MAX_SHIFT:
        raise Invalid(_("a shift is at most 24 hours"))
    note = inputs.text(note, _label(DutyShift, "note"), maximum=200)
    AdminArea.objects.select_for_update().filter(pk=area.pk).first()  # one roster change per area
    clash = DutyShift.objects.filter(area=area, start__lt=end, end__gt=start).first()
    if clash is not None:
        raise Conflict(_("the shift overlaps %(shift)s") % {"shift": clash})
    return DutyShift.objects.create(
        area=area,
        date=timezone.localtime(start).date(),
        start=start,
        end=end,
        duty_officer=duty_officer,
        leader_on_call=leader_on_call,
        note=note,
    )


@transaction.atomic
def add_handover(shift: DutyShift, user, text: str, open_items=None) -> HandoverEntry:
    """Append to the shift's handover log (值班日志); entries are never edited or deleted."""
    text = inputs.text(text, _label(HandoverEntry, "text"), maximum=10000, required=True)
    items = open_items or []
    if not isinstance(items, list) or len(items) > MAX_OPEN_ITEMS:
        raise Invalid(_("open_items is a list of at most 100 entries"))
    items = [str(i).strip()[:500] for i in items if str(i).strip()]
    shift = DutyShift.objects.select_for_update().get(pk=shift.pk)
    return HandoverEntry.objects.create(shift=shift, author=actor(user), text=text, open_items=items)
