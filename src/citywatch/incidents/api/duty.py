"""Duty (值班): the roster of the city and the districts, each shift's handover log (append-only) and the
duty screen. Shifts outside your jurisdiction answer 404; planning another area's roster answers 403; a
shift that overlaps another of the same area answers 409."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status

from citywatch.core import access
from citywatch.core.errors import Invalid
from citywatch.core.models import AdminArea
from citywatch.core.pagination import PageParams, page, paged
from citywatch.incidents import actions, queries
from citywatch.incidents.api.schemas import DutyScreenOut, HandoverIn, HandoverOut, ShiftIn, ShiftOut
from citywatch.incidents.filters import ShiftFilter
from citywatch.incidents.models import DutyShift, HandoverEntry, Incident

router = Router(tags=["duty"])


@router.get("/duty/shifts", response=paged(ShiftOut), summary="The duty roster")
def list_shifts(request: HttpRequest, filters: Query[ShiftFilter], paging: Query[PageParams]):
    access.require(request.user, DutyShift, "view")
    return page(filters.filter(queries.shifts_for(request.user)), paging)


@router.post("/duty/shifts", response={201: ShiftOut}, summary="Put a shift on the roster")
def create_shift(request: HttpRequest, payload: ShiftIn):
    """The area must be in your jurisdiction (403 otherwise); an overlapping shift of the same area
    answers 409."""
    access.require(request.user, DutyShift, "add")
    area = AdminArea.objects.filter(code=payload.area).first()  # another area's roster: 403, not 404
    if area is None:
        raise Invalid(_("unknown area code %(code)s") % {"code": payload.area})
    shift = actions.create_shift(
        request.user,
        area=area,
        start=payload.start,
        end=payload.end,
        duty_officer=queries.person(payload.duty_officer),
        leader_on_call=queries.person(payload.leader_on_call),
        note=payload.note,
    )
    return Status(201, shift)


@router.get("/duty/shifts/{int:pk}/handover", response=paged(HandoverOut), summary="The shift's handover log")
def list_handover(request: HttpRequest, pk: int, paging: Query[PageParams]):
    shift = queries.shift_for(request.user, pk)
    access.require(request.user, HandoverEntry, "view")
    return page(queries.handover_for(request.user, shift), paging)


@router.post(
    "/duty/shifts/{int:pk}/handover", response={201: HandoverOut}, summary="Append to the handover log"
)
def add_handover(request: HttpRequest, pk: int, payload: HandoverIn):
    """Entries are never edited or deleted. Those who may change the shift append to its log."""
    access.require(request.user, HandoverEntry, "add")
    shift = queries.shift_for(request.user, pk, "change")
    return Status(201, actions.add_handover(shift, request.user, payload.text, payload.open_items))


@router.get("/duty/screen", response=DutyScreenOut, summary="The duty screen")
def duty_screen(request: HttpRequest):
    """Open incidents (not closed or cancelled), upward reports past their deadline, today's roster (the
    local day) and who is on watch now, and the active command posts."""
    access.require(request.user, Incident, "view")
    return queries.duty_screen(request.user, timezone.now())
