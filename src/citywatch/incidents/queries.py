"""Read paths of incident command; every one starts from ``restrict(user, action)`` or ``access.get_for``.

An incident's records (its log, orders, supply requests, roles, tasks, command posts, sitreps) are reached
through the incident: ``incident_for`` answers 404 for an incident the user may not see, then
``records_of`` / ``record_of`` read the records (403 when the user's role may not). Team leaders are the
exception: they see the dispatch orders of incidents whose record they may not read
(``incident_dispatches``, ``dispatch_for``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch.core import access, inputs
from citywatch.core.choices import AreaLevel, Role
from citywatch.core.errors import Invalid, NotFound
from citywatch.core.models import AdminArea, User
from citywatch.geo import population, routing
from citywatch.geo.distance import haversine_m
from citywatch.incidents.choices import DispatchStatus, IncidentStatus, LogKind, SupplyStatus
from citywatch.incidents.models import (
    CommandPost,
    Dispatch,
    DutyShift,
    ExpertSummons,
    HandoverEntry,
    Incident,
    IncidentLog,
    Participant,
    Sitrep,
    SupplyRequest,
    Task,
)
from citywatch.resources.choices import FacilityKind
from citywatch.resources.kinds import KINDS
from citywatch.resources.models import Depot, StockBalance, SupplyItem
from citywatch.resources.queries import records_for

# What each kind of record is read with (its answers name these).
RELATED = {
    Incident: ("area",),
    IncidentLog: ("author",),
    Dispatch: ("team", "assigned_to", "incident__area"),
    ExpertSummons: ("expert__category", "requested_by", "incident__area"),
    SupplyRequest: ("depot", "item", "incident__area"),
    Participant: ("user", "incident__area"),
    Task: ("owner", "incident__area"),
    CommandPost: ("incident__area", "leader"),
    Sitrep: ("incident__area", "issued_by"),
    DutyShift: ("area", "duty_officer", "leader_on_call"),
    HandoverEntry: ("author",),
}


def records(model):
    """All rows of ``model`` (unrestricted), read with what their answers name."""
    return model.objects.select_related(*RELATED[model])


# --- Incidents and their records ------------------------------------------------------------------


def incidents_for(user, action: str = "view"):
    return records(Incident).restrict(user, action)


def incident_for(user, pk: int, action: str = "view", *, adding=None) -> Incident:
    """The incident ``pk`` as the user may ``action`` it: 404 outside their jurisdiction (or when their
    role may not see incidents), 403 when they see it but may not ``action`` it. ``adding``: a model of
    the incident's records (``Dispatch``, ``Task``…) the user is about to add, which their role must be
    allowed to add (403, asked first: a role that may never add one is told so)."""
    if adding is not None:
        access.require(user, adding, "add")
    return access.get_for(user, records(Incident), action, pk=pk)


def records_of(user, incident_pk: int, model):
    """The records of kind ``model`` of incident ``incident_pk`` the user may see (404 for the incident,
    403 when their role may not view such records)."""
    incident = incident_for(user, incident_pk)
    access.require(user, model, "view")
    return records(model).restrict(user, "view").filter(incident=incident)


def record_of(user, incident_pk: int, model, action: str = "view", /, **lookup):
    """One record of incident ``incident_pk`` matching ``lookup`` (``pk=…``, ``number=…``), as the user
    may ``action`` it (404 for the incident or the record, 403 when their role may not)."""
    incident = incident_for(user, incident_pk)
    return access.get_for(user, records(model), action, incident=incident, **lookup)


def log_for(user, incident: Incident):
    return records(IncidentLog).restrict(user, "view").filter(incident=incident)


def dispatches_for(user, action: str = "view"):
    return records(Dispatch).restrict(user, action)


def incident_dispatches(user, pk: int):
    """The dispatches of incident ``pk`` the user may see. Team leaders see the orders without the
    incident's record, so for them an incident with none they may see answers 404, as one that does not
    exist; everyone else must see the incident."""
    access.require(user, Dispatch, "view")
    found = dispatches_for(user).filter(incident_id=pk)
    if access.can(user, Incident, "view"):
        incident_for(user, pk)
    elif not found.exists():
        raise NotFound(_(access.NOT_FOUND) % {"thing": Incident._meta.verbose_name})
    return found


def answer_window() -> datetime.timedelta:
    """How long a dispatch order may wait for its recipient's answer before it shows as unanswered."""
    return datetime.timedelta(minutes=settings.CITYWATCH_ORDER_ANSWER_MINUTES)


def unanswered_dispatches(user, now: datetime.datetime | None = None):
    """The dispatch orders the user may see that still wait for an answer after ``answer_window()``,
    oldest first."""
    now = now or timezone.now()
    return (
        dispatches_for(user)
        .filter(status=DispatchStatus.REQUESTED, requested_at__lte=now - answer_window())
        .order_by("requested_at", "id")
    )


def dispatch_for(user, pk: int, did: int, action: str = "view") -> Dispatch:
    """Dispatch ``did`` of incident ``pk`` as the user may ``action`` it; for a team leader ``change``
    applies their row rule (only the orders assigned to them, else 403)."""
    return access.get_for(user, records(Dispatch), action, incident_id=pk, pk=did)


def dispatch_history(user, pk: int, did: int):
    """The log entries of dispatch ``did`` of incident ``pk`` (its steps and field reports), oldest
    first, for whoever may see the order (a team leader included: their own orders' history)."""
    dispatch = dispatch_for(user, pk, did)
    entries = IncidentLog.objects.filter(incident_id=dispatch.incident_id, kind=LogKind.DISPATCH)
    return entries.filter(data__dispatch=did).select_related("author").order_by("time", "id")


def field_reports_of(dispatches) -> dict[int, list[IncidentLog]]:
    """The field reports of ``dispatches`` (orders the caller already read through ``dispatches_for``):
    dispatch pk → its report entries, oldest first."""
    mine = {d.pk for d in dispatches}
    if not mine:
        return {}
    entries = IncidentLog.objects.filter(
        incident_id__in={d.incident_id for d in dispatches},
        kind=LogKind.DISPATCH,
        data__action="field_report",
    ).order_by("time", "id")
    out: dict[int, list[IncidentLog]] = {}
    for e in entries:
        if isinstance(e.data, dict) and e.data.get("dispatch") in mine:
            out.setdefault(e.data["dispatch"], []).append(e)
    return out


def people_covering(incident: Incident):
    """Active users whose jurisdiction covers the incident's area: the people who can take a role in its
    command, own its tasks or answer its dispatch orders."""
    return User.objects.covering(incident.area)


def person(username: str | None, incident: Incident | None = None) -> User | None:
    """The active user named ``username`` (None for none). With ``incident``: only someone whose
    jurisdiction covers it — the people the one-map offers — may be given a role, a task or an order."""
    if not username:
        return None
    found = User.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise Invalid(_("unknown user %(name)s") % {"name": repr(username)})
    if incident is not None and not people_covering(incident).filter(pk=found.pk).exists():
        raise Invalid(
            _("%(name)s does not work where the incident is (their jurisdiction does not cover it)")
            % {"name": username}
        )
    return found


@dataclass(frozen=True)
class OverdueReport:
    incident: Incident
    report: str  # "first" or "written"
    due_at: datetime.datetime


def report_deadlines() -> dict[str, datetime.timedelta]:
    """How long after verification each upward report is due (settings)."""
    return {
        "first": datetime.timedelta(minutes=settings.CITYWATCH_FIRST_REPORT_MINUTES),
        "written": datetime.timedelta(minutes=settings.CITYWATCH_WRITTEN_REPORT_MINUTES),
    }


def overdue_reports(user, now: datetime.datetime) -> list[OverdueReport]:
    """Upward reports not yet sent whose deadline (counted from verification) has passed, for the
    incidents the user may see; cancelled incidents owe nothing. Oldest deadline first."""
    due = report_deadlines()
    qs = (
        incidents_for(user)
        .filter(verified_at__isnull=False)
        .exclude(status=IncidentStatus.CANCELLED)
        .filter(
            Q(first_report_at__isnull=True, verified_at__lt=now - due["first"])
            | Q(written_report_at__isnull=True, verified_at__lt=now - due["written"])
        )
        .defer("affected_area")
    )
    out = [
        OverdueReport(incident, report, incident.verified_at + delay)
        for incident in qs
        for report, delay in due.items()
        if getattr(incident, f"{report}_report_at") is None and incident.verified_at + delay < now
    ]
    out.sort(key=lambda r: (r.due_at, r.incident.pk, r.report))
    return out


def reports_due_soon(user, now: datetime.datetime) -> list[OverdueReport]:
    """Upward reports not yet sent whose deadline falls within the next
    ``CITYWATCH_REPORT_DUE_SOON_MINUTES`` (not yet overdue), soonest first."""
    due = report_deadlines()
    soon = datetime.timedelta(minutes=settings.CITYWATCH_REPORT_DUE_SOON_MINUTES)
    longest = max(due.values())
    qs = (
        incidents_for(user)
        .filter(verified_at__isnull=False, verified_at__gte=now - longest)
        .exclude(status=IncidentStatus.CANCELLED)
        .filter(Q(first_report_at__isnull=True) | Q(written_report_at__isnull=True))
        .defer("affected_area")
    )
    out = [
        OverdueReport(incident, report, incident.verified_at + delay)
        for incident in qs
        for report, delay in due.items()
        if getattr(incident, f"{report}_report_at") is None
        and now <= incident.verified_at + delay <= now + soon
    ]
    out.sort(key=lambda r: (r.due_at, r.incident.pk, r.report))
    return out


# --- Supplies -------------------------------------------------------------------------------------


def left_to_ship(item):
    """Approved supply requests for ``item`` that still have something to ship, and how much (an
    expression to sum)."""
    pending = SupplyRequest.objects.filter(
        item=item, status__in=(SupplyStatus.APPROVED, SupplyStatus.SHIPPED)
    )
    return (
        pending.filter(quantity_approved__gt=F("quantity_shipped")),
        F("quantity_approved") - F("quantity_shipped"),
    )


def available_by_depot(item, depots) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    """What depots can give of an item (a read, nothing locked): depot id → (balance, committed,
    available), for the depots of the ``depots`` queryset that hold some of it; committed is what
    approved requests still have to ship."""
    balances = dict(
        StockBalance.objects.filter(item=item, quantity__gt=0, depot__in=depots).values_list(
            "depot", "quantity"
        )
    )
    pending, left = left_to_ship(item)
    committed = dict(
        pending.filter(depot__in=list(balances))
        .values("depot")
        .annotate(n=Sum(left))
        .values_list("depot", "n")
    )
    out = {}
    for depot_id, balance in balances.items():
        held = committed.get(depot_id) or Decimal(0)
        out[depot_id] = (balance, held, max(balance - held, Decimal(0)))
    return out


@dataclass
class DepotSource:
    """A depot that can give an item: what it holds, what it can still give, how far it is."""

    depot: object
    balance: Decimal
    available: Decimal
    eta_s: float | None = None
    distance_m: float | None = None
    eta_method: str | None = None


@dataclass
class SupplySources:
    item: object
    items: list[DepotSource] = field(default_factory=list)


def supply_sources(user, incident: Incident, item_code: str, quantity: Decimal | None, limit: int):
    """The depots in the user's jurisdiction that can still give the item — at least ``quantity`` of it
    if given —, nearest to the incident by travel time first; depots without a location last (and all
    of them without an ETA when the engine cannot say). Needs the right to see stock (403)."""
    access.require(user, StockBalance, "view")  # it tells what each depot holds
    item = SupplyItem.objects.filter(code=item_code).first()
    if item is None:
        raise Invalid(_("unknown supply item %(code)s") % {"code": repr(item_code)})
    visible = Depot.objects.restrict(user, "view")
    stock = available_by_depot(item, visible.values("pk"))
    enough = quantity or Decimal("0.001")
    rows = [
        DepotSource(depot, stock[depot.pk][0], stock[depot.pk][2])
        for depot in visible.filter(pk__in=[k for k, v in stock.items() if v[2] >= enough]).only(
            "pk", "name", "location"
        )
    ]
    located = [r for r in rows if r.depot.location is not None]
    if located:
        lonlat = np.array([(r.depot.location.x, r.depot.location.y) for r in located], dtype=float)
        origin = (incident.location.x, incident.location.y)
        try:
            hits = routing.get_engine().nearest_by_time(origin, lonlat, "to", 24 * 3600.0, None).results
        except (routing.RoutingError, ValueError, OSError):
            hits = []  # the depots are still listed, without an ETA
        for hit in hits:
            row = located[hit.index]
            row.eta_s, row.distance_m, row.eta_method = (
                round(hit.eta_s, 1),
                round(hit.distance_m, 1),
                hit.eta_method,
            )
    rows.sort(key=lambda r: (r.eta_s is None, r.eta_s or 0, -r.available, r.depot.pk))
    return SupplySources(item, rows[:limit])


# --- Command posts --------------------------------------------------------------------------------


def posts_for(user, action: str = "view"):
    return records(CommandPost).restrict(user, action)


def post_of(user, pk: int) -> CommandPost:
    """Incident ``pk``'s active command post, else its latest closed one; 404 if it never had one."""
    posts = records_of(user, pk, CommandPost)
    found = posts.filter(closed_at__isnull=True).first() or posts.order_by("-established_at", "-id").first()
    if found is None:
        raise NotFound(_("the incident has no command post"))
    return found


# --- Duty -----------------------------------------------------------------------------------------

# Roles whose holders can keep a watch (the roles that may write the handover log).
DUTY_ROLES = (Role.CITY_ADMIN, Role.COMMANDER, Role.DUTY_OFFICER, Role.DISTRICT_OFFICER)
ROSTER_LEVELS = (AreaLevel.CITY, AreaLevel.DISTRICT)


def shifts_for(user, action: str = "view"):
    return records(DutyShift).restrict(user, action)


def shift_for(user, pk: int, action: str = "view") -> DutyShift:
    return access.get_for(user, records(DutyShift), action, pk=pk)


def handover_for(user, shift: DutyShift):
    return records(HandoverEntry).restrict(user, "view").filter(shift=shift)


def local_day(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The local (TIME_ZONE, Asia/Shanghai) day containing ``now``, as aware [start, end)."""
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + datetime.timedelta(days=1)


def roster_for_day(user, now: datetime.datetime):
    """Shifts overlapping the local day of ``now`` (last night's shift running into the morning too)."""
    start, end = local_day(now)
    return shifts_for(user).filter(start__lt=end, end__gt=start)


def roster_areas(user) -> list[AdminArea]:
    """The city and the districts whose roster the user may plan (their jurisdiction and beneath)."""
    qs = AdminArea.objects.within(user).filter(level__in=ROSTER_LEVELS).defer("boundary")
    return list(qs.order_by("path"))


def duty_people(user) -> list[User]:
    """Active users able to keep a watch, within the user's jurisdiction."""
    qs = User.objects.within(user).filter(is_active=True, role__in=DUTY_ROLES, jurisdiction__isnull=False)
    return list(qs.select_related("jurisdiction").order_by("jurisdiction__path", "username"))


@dataclass
class DutyScreen:
    """What the duty screen shows, within the user's jurisdiction."""

    now: datetime.datetime
    open_incidents: list[Incident]
    overdue_reports: list[OverdueReport]
    today_roster: list[DutyShift]
    command_posts: list[CommandPost]
    reports_due_soon: list[OverdueReport] = field(default_factory=list)
    unanswered_dispatches: list[Dispatch] = field(default_factory=list)

    @property
    def on_duty(self) -> list[DutyShift]:
        """The shifts of today's roster on watch now."""
        return [s for s in self.today_roster if s.start <= self.now < s.end]


def duty_screen(user, now: datetime.datetime | None = None) -> DutyScreen:
    """Open incidents (not closed or cancelled), overdue upward reports, today's roster (and who is on
    watch now), active command posts."""
    now = now or timezone.now()
    return DutyScreen(
        now=now,
        open_incidents=list(
            incidents_for(user)
            .exclude(status__in=[IncidentStatus.CLOSED, IncidentStatus.CANCELLED])
            .defer("affected_area")
        ),
        overdue_reports=overdue_reports(user, now),
        today_roster=list(roster_for_day(user, now)),
        command_posts=list(posts_for(user).filter(closed_at__isnull=True)),
        reports_due_soon=reports_due_soon(user, now),
        unanswered_dispatches=list(unanswered_dispatches(user, now)),
    )


# --- Population within reach of an incident -------------------------------------------------------


@dataclass(frozen=True)
class DistrictShare:
    code: str
    name: str
    persons: int | None


@dataclass(frozen=True)
class Reach:
    """The area reachable from the incident within ``minutes`` (shapely polygon), the persons inside it
    and how they fall among the districts it touches (most first)."""

    minutes: float
    polygon: object
    eta_method: str
    persons: int | None
    districts: list[DistrictShare]
    network: object


def reach(incident: Incident, minutes: float) -> Reach:
    """The travel-time ring of ``minutes`` around the incident with its population, by district: the
    figure beside the ring on the one-map, so an officer can judge it."""

    try:
        detail = routing.isochrone_detail((incident.location.x, incident.location.y), minutes, "from")
    except routing.RoutingError as exc:
        raise Invalid(str(exc)) from None
    polygon = detail.polygon
    persons = population.population_within(polygon)
    shares: list[DistrictShare] = []
    if persons is not None and not polygon.is_empty:
        touched = AdminArea.objects.filter(
            level=AreaLevel.DISTRICT,
            boundary__isnull=False,
            boundary__intersects=GEOSGeometry(polygon.wkt, srid=4326),
        ).only("code", "name", "boundary")
        for district in touched:
            part = shapely.intersection(polygon, shapely.from_wkb(bytes(district.boundary.wkb)))
            if part.is_empty:
                continue
            inside = population.population_within(part)
            shares.append(
                DistrictShare(district.code, district.name, None if inside is None else round(inside))
            )
        shares.sort(key=lambda s: (-(s.persons or 0), s.code))
    return Reach(
        minutes=minutes,
        polygon=polygon,
        eta_method=detail.eta_method,
        persons=None if persons is None else int(round(persons)),
        districts=shares,
        network=routing.network(),
    )


# --- Where a reported location lies ---------------------------------------------------------------

MARITIME_SHOWN = 3


@dataclass(frozen=True)
class NearPlace:
    id: int
    name: str
    distance_m: float


@dataclass(frozen=True)
class Located:
    """Where a point lies (``actions.place_of``: area, outside_city, at_sea) and, for the sea, the
    nearest maritime search-and-rescue sub-centres the user may see."""

    lon: float
    lat: float
    area: AdminArea
    place: str
    outside_city: bool
    at_sea: bool
    maritime: list[NearPlace]


def locate_point(user, lon: float, lat: float, crs: str = "wgs84") -> Located:
    """Where the point lies, for the pages that ask to confirm a location in the sea or outside the
    city (a point outside China is refused: Invalid)."""
    # A cycle: the actions import this module (supply reads ``left_to_ship``).
    from citywatch.incidents.actions.lifecycle import place_of  # noqa: PLC0415

    point = inputs.point(lon, lat, crs)
    where = place_of(point)
    maritime: list[NearPlace] = []
    if where["outside_city"]:
        rows = (
            records_for(KINDS["facilities"], user)
            .filter(kind=FacilityKind.MARITIME_SAR, location__isnull=False)
            .values_list("pk", "name", "location")
        )
        maritime = sorted(
            (
                NearPlace(pk, name, round(float(haversine_m(loc.x, loc.y, point.x, point.y)), 1))
                for pk, name, loc in rows
            ),
            key=lambda p: p.distance_m,
        )[:MARITIME_SHOWN]
    area = where["area"]
    return Located(
        lon=point.x,
        lat=point.y,
        area=area,
        place=" · ".join(area.place_names() or [area.name]),
        outside_city=where["outside_city"],
        at_sea=where["at_sea"],
        maritime=maritime,
    )
