"""Pages of duty (值班): the duty screen, putting a shift on the roster, a shift's handover log (值班日志)
and appending to it.

Plain HTML forms (no JavaScript needed), Post/Redirect/Get. Reads go through ``queries`` (jurisdiction
applied; a shift outside it answers 404); every change goes through an action, whose ``ActionError`` is
shown next to the form with its status (422 invalid, 403 forbidden, 409 overlap) and nothing changed."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citywatch.core import access, inputs, panels
from citywatch.core.errors import ActionError, Invalid, NotFound
from citywatch.core.models import AdminArea
from citywatch.incidents import actions, queries
from citywatch.incidents.models import DutyShift, HandoverEntry, Incident

SHIFT_FIELDS = ("area", "start", "end", "duty_officer", "leader_on_call", "note")
HANDOVER_FIELDS = ("shift", "text", "open_items")
UPCOMING = 20


def _writable(user, shifts) -> list:
    """The ``shifts`` whose handover log the user may append to."""
    if not access.can(user, HandoverEntry, "add"):
        return []
    allowed = set(
        queries.shifts_for(user, "change").filter(pk__in=[s.pk for s in shifts]).values_list("pk", flat=True)
    )
    return [s for s in shifts if s.pk in allowed]


# --- Parsing the posted values --------------------------------------------------------------------


def _values(post, names) -> dict[str, str]:
    # RejectNulMiddleware already answers 400 to a form field holding NUL; never pass one on regardless.
    return {name: post.get(name, "").replace("\x00", "").strip() for name in names}


def _pick(raw: str, choices, label: str, required: bool = True):
    """The object among ``choices`` (what the form offered) whose id is ``raw``."""
    if not raw:
        if required:
            raise Invalid(_("%(field)s is required.") % {"field": label})
        return None
    pk = inputs.identifier(raw)
    for obj in choices:
        if pk is not None and obj.pk == pk:
            return obj
    raise Invalid(_("Choose %(field)s from the list.") % {"field": label})


def _open_items(raw: str) -> list[str]:
    items = [line.strip() for line in raw.splitlines() if line.strip()]
    if len(items) > actions.MAX_OPEN_ITEMS:
        raise Invalid(_("At most %(n)d open items, one per line.") % {"n": actions.MAX_OPEN_ITEMS})
    return items


# --- The duty screen ------------------------------------------------------------------------------


def _duty_context(request, **extra) -> dict:
    user = request.user
    now = timezone.now()
    screen = queries.duty_screen(user, now)
    handover = list(
        HandoverEntry.objects.restrict(user, "view")
        .filter(shift__in=[s.pk for s in screen.today_roster])
        .select_related("author", "shift__area")
        .order_by("-time", "-id")[:20]
    )
    _day_start, day_end = queries.local_day(now)
    upcoming = list(queries.shifts_for(user).filter(start__gte=day_end).order_by("start", "id")[:UPCOMING])
    can_add_shift = access.can(user, DutyShift, "add")
    rendered = panels.render_all(request)
    context = {
        "screen": screen,
        "panels": rendered,
        "panel_scripts": panels.scripts(rendered),
        "panel_stylesheets": panels.stylesheets(rendered),
        "handover": handover,
        "on_duty": {s.pk for s in screen.on_duty},
        "upcoming": upcoming,
        "can_add_shift": can_add_shift,
        "can_add_handover": access.can(user, HandoverEntry, "add"),
        "areas": queries.roster_areas(user) if can_add_shift else [],
        "people": queries.duty_people(user) if can_add_shift else [],
        "handover_shifts": _writable(user, screen.today_roster),
        "shift_values": {},
        "shift_error": None,
        "handover_values": {},
        "handover_error": None,
    }
    context.update(extra)
    return context


def duty_page(request):
    """The duty screen: open incidents, overdue upward reports, today's roster and the latest handover
    entries, all within the user's jurisdiction (``queries.duty_screen`` and the restricted querysets);
    the forms to put a shift on the roster and to append to a shift's handover log for those allowed."""
    access.require(request.user, Incident, "view")
    return render(request, "incidents/duty.html", _duty_context(request))


def panel_fragment(request, name):
    """One registered panel of the duty screen, rendered alone (``core.panels``): what ``panels.js``
    fetches to refresh a live panel. 404 for an unknown panel or one the user may not see."""
    access.require(request.user, Incident, "view")
    panel = panels.get(name)
    rendered = panels.render(panel, request) if panel is not None else None
    if rendered is None:
        raise NotFound(_("no such panel"))
    return HttpResponse(rendered.html, headers={"Cache-Control": "no-store"})


@require_POST
def shift_create(request):
    """Put a shift on the roster (``actions.create_shift``); on refusal the duty screen again, with the
    message next to the form and the values as entered."""
    access.require(request.user, Incident, "view")
    access.require(request.user, DutyShift, "add")
    user = request.user
    values = _values(request.POST, SHIFT_FIELDS)
    people = queries.duty_people(user)
    try:
        area = _pick(
            values["area"],
            AdminArea.objects.filter(level__in=queries.ROSTER_LEVELS).defer("boundary"),
            _("Area"),
        )
        start = inputs.local_datetime(values["start"], _("Start"))
        end = inputs.local_datetime(values["end"], _("End"))
        officer = _pick(values["duty_officer"], people, _("Duty officer"))
        leader = _pick(values["leader_on_call"], people, _("Leader on call"), required=False)
        shift = actions.create_shift(
            user,
            area=area,
            start=start,
            end=end,
            duty_officer=officer,
            leader_on_call=leader,
            note=values["note"],
        )
    except ActionError as exc:
        context = _duty_context(request, shift_values=values, shift_error=str(exc))
        return render(request, "incidents/duty.html", context, status=exc.status)
    messages.success(request, _("Shift put on the roster: %(shift)s") % {"shift": shift})
    return redirect(reverse("duty") + "#h-roster")


@require_POST
def handover_add(request):
    """Append to the handover log of a shift of today's roster, chosen on the duty screen."""
    access.require(request.user, Incident, "view")
    access.require(request.user, HandoverEntry, "add")
    values = _values(request.POST, HANDOVER_FIELDS)
    raw_shift = values["shift"]
    shift_pk = inputs.identifier(raw_shift)
    if shift_pk is not None:
        shift = queries.shift_for(request.user, shift_pk, "change")
        error = _append(request, shift, values)
        if error is None:
            return redirect(reverse("duty") + "#h-handover")
    else:
        error = Invalid(
            _("Choose %(field)s from the list.") % {"field": _("Shift")}
            if raw_shift
            else _("%(field)s is required.") % {"field": _("Shift")}
        )
    context = _duty_context(request, handover_values=values, handover_error=str(error))
    return render(request, "incidents/duty.html", context, status=error.status)


def _append(request, shift, values) -> ActionError | None:
    """``actions.add_handover`` with the posted text and open items; the refusal, if any."""
    try:
        entry = actions.add_handover(shift, request.user, values["text"], _open_items(values["open_items"]))
    except ActionError as exc:
        return exc
    messages.success(request, _("Handover entry added to %(shift)s.") % {"shift": entry.shift})
    return None


# --- One shift and its handover log ---------------------------------------------------------------


def _shift_context(request, shift, **extra) -> dict:
    entries = list(queries.handover_for(request.user, shift).order_by("-time", "-id"))
    now = timezone.now()
    context = {
        "shift": shift,
        "entries": entries,
        "on_duty": shift.start <= now < shift.end,
        "can_add_handover": bool(_writable(request.user, [shift])),
        "handover_values": {},
        "handover_error": None,
    }
    context.update(extra)
    return context


def shift_page(request, pk):
    """A shift of the roster and its whole handover log, newest first (404 outside the jurisdiction)."""
    access.require(request.user, DutyShift, "view")
    shift = queries.shift_for(request.user, pk)
    return render(request, "incidents/duty_shift.html", _shift_context(request, shift))


@require_POST
def shift_handover_add(request, pk):
    """Append to this shift's handover log; on refusal the shift page again with the message."""
    access.require(request.user, HandoverEntry, "add")
    shift = queries.shift_for(request.user, pk, "change")
    values = _values(request.POST, HANDOVER_FIELDS)
    error = _append(request, shift, values)
    if error is None:
        return redirect(reverse("duty_shift", kwargs={"pk": shift.pk}) + "#h-handover-log")
    context = _shift_context(request, shift, handover_values=values, handover_error=str(error))
    return render(request, "incidents/duty_shift.html", context, status=error.status)
