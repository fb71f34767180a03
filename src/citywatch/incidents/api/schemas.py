"""The typed contract of the incident API: what every route reads (``…In``) and answers (``…Out``).

Output schemas read the domain objects the handlers return (model instances, the dataclasses of
``queries``): a field reads the attribute of its name, or the attribute path its ``alias`` names
(``alias="item.code"``, never null on the way); computed fields — and people who may be missing — are
``resolve_<name>`` static methods. The live events (``incidents/events.py``) serialise through the same
schemas, so a dispatch looks the same in an answer and in an event.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, NotRequired

import shapely.geometry
from django.utils import timezone
from ninja import Schema
from pydantic import BaseModel, Field, PlainSerializer, StrictFloat, StrictInt, StrictStr
from typing_extensions import TypedDict

from citywatch.core.api import AreaRef
from citywatch.core.inputs import MAX_COUNT
from citywatch.core.pagination import Geometry, geometry_json
from citywatch.geo.api import NetworkOut
from citywatch.incidents import actions, queries
from citywatch.incidents.choices import (
    Category,
    DispatchStatus,
    IncidentStatus,
    IncidentType,
    LogKind,
    ParticipantRole,
    ReportedVia,
    Severity,
    SupplyStatus,
    TaskStatus,
    preferred_team_types,
)
from citywatch.incidents.grading import proposed_severity
from citywatch.incidents.models import SitrepStatus
from citywatch.resources.choices import Availability, TeamStatus
from citywatch.resources.nearby import NearbyOut

Crs = Literal["wgs84", "gcj02", "bd09"]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Report = Literal["first", "written"]


def decimal(places: int):
    """A decimal answered as text with ``places`` decimals ("5.000"), as its column holds it, whether the
    object was read back or has just been written."""
    step = Decimal(1).scaleb(-places)
    return Annotated[Decimal, PlainSerializer(lambda value: str(value.quantize(step)), return_type=str)]


Quantity = decimal(3)  # supply quantities and stock balances (decimal_places=3)
Money = decimal(2)  # the direct loss in CNY


def username(person) -> str | None:
    return person.username if person is not None else None


def full_name(person) -> str | None:
    return person.display_name if person is not None else None


# --- Incidents ------------------------------------------------------------------------------------


class IncidentIn(Schema):
    title: str | None = Field(None, max_length=200)
    category: Category | None = None
    type: IncidentType | None = Field(None, description="of the category (other: any)")
    severity: Severity | None = Field(None, description="1 (特别重大) … 4 (一般); omitted: proposed")
    description: str | None = Field(None, max_length=10000)
    lon: float | None = None
    lat: float | None = None
    crs: Crs = "wgs84"
    affected_area: Geometry | None = Field(
        None, description="GeoJSON Polygon or MultiPolygon; null clears it"
    )
    reported_via: ReportedVia | None = None
    exercise: bool | None = None
    deaths: Count | None = None
    serious_injuries: Count | None = None
    injuries: Count | None = None
    missing: Count | None = None
    people_trapped: Count | None = None
    direct_loss_cny: Decimal | None = Field(None, ge=0, lt=Decimal("1e14"))
    caller_name: str | None = Field(None, max_length=100, description="who called it in")
    caller_phone: str | None = Field(None, max_length=32)
    occurred_at: datetime.datetime | None = Field(
        None, description="when it happened (without an offset: the city's time)"
    )

    def fields(self) -> dict:
        """The fields the client sent, for ``actions.clean_incident`` (a null clears only the affected
        area; the coordinate system only travels with a location)."""
        data = self.model_dump(exclude_unset=True, exclude={"version"})
        if data.get("crs") == "wgs84" and "lon" not in data:
            data.pop("crs", None)
        return {k: v for k, v in data.items() if v is not None or k == "affected_area"}


class IncidentPatch(IncidentIn):
    version: int | None = Field(None, ge=1, description="the version you edited; a newer one answers 409")


class TransitionIn(Schema):
    action: Literal[actions.ACTIONS]
    reason: str = Field("", max_length=2000, description="required to reopen")
    version: int | None = Field(None, ge=1)


class ReportIn(Schema):
    report: Report
    note: str = Field("", max_length=2000)
    version: int | None = Field(None, ge=1)


class IncidentOut(Schema):
    """An incident as lists show it (without its affected area)."""

    id: int
    title: str
    category: Category
    type: IncidentType
    severity: Severity
    severity_label: str = Field(alias="get_severity_display")
    proposed_severity: Severity | None = Field(description="the grade by Order 493 (accident disasters)")
    description: str
    lon: float = Field(alias="location.x")
    lat: float = Field(alias="location.y")
    area: AreaRef
    outside_city: bool
    at_sea: bool = Field(description="outside every district, in the sea (maritime search and rescue)")
    reported_via: ReportedVia
    exercise: bool
    deaths: int
    serious_injuries: int
    injuries: int
    missing: int
    people_trapped: int
    direct_loss_cny: Money
    caller_name: str
    caller_phone: str
    status: IncidentStatus
    version: int
    occurred_at: datetime.datetime | None
    reported_at: datetime.datetime
    verified_at: datetime.datetime | None
    responding_at: datetime.datetime | None
    stabilised_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    cancelled_at: datetime.datetime | None
    first_report_at: datetime.datetime | None
    written_report_at: datetime.datetime | None
    first_report_due_at: datetime.datetime | None
    written_report_due_at: datetime.datetime | None
    allowed_actions: list[str] = Field(description="the lifecycle's actions from the current status")

    @staticmethod
    def resolve_proposed_severity(incident) -> str | None:
        return proposed_severity(incident)

    @staticmethod
    def resolve_first_report_due_at(incident):
        return _due(incident, "first")

    @staticmethod
    def resolve_written_report_due_at(incident):
        return _due(incident, "written")

    @staticmethod
    def resolve_allowed_actions(incident) -> list[str]:
        return actions.LIFECYCLE.allowed(incident.status)


def _due(incident, report: str):
    verified = incident.verified_at
    return verified + queries.report_deadlines()[report] if verified else None


class IncidentDetail(IncidentOut):
    """One incident, with its affected area and what the one-map's header shows of it."""

    affected_area: Geometry | None
    type_label: str = Field(alias="get_type_display")
    place: list[str] = Field(description="the names of its area from the district down")
    preferred_team_types: list[str] = Field(description="the team types it calls for, the most fitting first")

    @staticmethod
    def resolve_place(incident) -> list[str]:
        return incident.area.place_names() or [incident.area.name]

    @staticmethod
    def resolve_preferred_team_types(incident) -> list[str]:
        return preferred_team_types(incident)

    @staticmethod
    def resolve_affected_area(incident):
        return geometry_json(incident.affected_area)


class IncidentSummaryOut(Schema):
    """A new incident as the live events announce it (for the list page)."""

    id: int
    title: str
    status: IncidentStatus
    severity: Severity
    severity_label: str = Field(alias="get_severity_display")
    category: Category
    category_label: str = Field(alias="get_category_display")
    type: IncidentType
    type_label: str = Field(alias="get_type_display")
    exercise: bool
    area: str = Field(alias="area.name", description="the name of the incident's area")
    reported_at: datetime.datetime
    version: int


class OverdueOut(Schema):
    incident: int = Field(alias="incident.pk")
    title: str = Field(alias="incident.title")
    report: Report
    due_at: datetime.datetime


class IncidentNearbyOwn(BaseModel):
    """``IncidentNearbyOut``'s own fields, written after ``NearbyOut``'s JSON (``incident_nearby``)."""

    incident: int
    preferred_team_types: list[str] = Field(
        description="the team kinds this incident's type calls for, first first (PREFERRED_TEAM_TYPES)"
    )


class IncidentNearbyOut(NearbyOut):
    """The nearby analysis (``GET /nearby``, ``resources.nearby``) at the incident's location."""

    incident: int
    preferred_team_types: list[str] = IncidentNearbyOwn.model_fields["preferred_team_types"]


class ReachParams(Schema):
    minutes: float = Field(15, gt=0, le=120, description="the travel time of the ring")


class DistrictShareOut(Schema):
    code: str
    name: str
    persons: int | None


class ReachOut(Schema):
    """The ring of ``minutes`` around the incident, the persons inside and their districts."""

    minutes: float
    eta_method: Literal["road", "estimated"]
    persons: int | None = Field(description="persons inside (None without a population grid)")
    districts: list[DistrictShareOut] = Field(description="the persons inside by district, most first")
    geometry: Geometry
    network: NetworkOut

    @staticmethod
    def resolve_geometry(answer) -> dict:
        return shapely.geometry.mapping(answer.polygon)


class LocateParams(Schema):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: Crs = "wgs84"


class NearPlaceOut(Schema):
    id: int
    name: str
    distance_m: float = Field(description="in a straight line")


class LocatedOut(Schema):
    """Where a point lies: ask to confirm one in the sea or outside the city before reporting it."""

    lon: float = Field(description="WGS-84")
    lat: float
    area: AreaRef
    place: str = Field(description="the names from the district down")
    outside_city: bool
    at_sea: bool
    maritime: list[NearPlaceOut] = Field(
        description="outside the city: the nearest maritime search-and-rescue sub-centres"
    )


# --- The log --------------------------------------------------------------------------------------


class NoteIn(Schema):
    text: str = Field(min_length=1, max_length=4000)


class LogOut(Schema):
    id: int
    time: datetime.datetime
    author: str | None = Field(description="username")
    author_name: str | None
    kind: LogKind
    text: str = Field(description="written in the site's language")
    data: dict[str, Any] = Field(description="what the entry records, for machines (free-form per kind)")

    @staticmethod
    def resolve_author(entry) -> str | None:
        return username(entry.author)

    @staticmethod
    def resolve_author_name(entry) -> str | None:
        return full_name(entry.author)


# --- Response orders: dispatches and summonses ----------------------------------------------------


class DispatchIn(Schema):
    team: Id
    assigned_to: str | None = Field(
        None,
        max_length=150,
        description="username of who receives the order; omitted: the team's leader on record",
    )
    note: str = Field("", max_length=200)


class SummonsIn(Schema):
    expert: Id
    note: str = Field("", max_length=200)


class OrderMoveIn(Schema):
    action: Literal[actions.ORDER_ACTIONS]
    note: str = Field("", max_length=200)


class OrderOut(Schema):
    """What a dispatch and a summons share: the order's status and step times, its ETA when given."""

    id: int
    incident: int = Field(alias="incident_id")
    status: DispatchStatus
    eta_s: float | None = Field(description="travel time when the order was given")
    eta_method: str
    note: str
    requested_at: datetime.datetime
    accepted_at: datetime.datetime | None
    declined_at: datetime.datetime | None
    en_route_at: datetime.datetime | None
    on_scene_at: datetime.datetime | None
    released_at: datetime.datetime | None
    recalled_at: datetime.datetime | None
    recall_reason: str = Field(description="why the command recalled the order")
    completed_at: datetime.datetime | None = Field(description="when the recipient reported the task done")
    completion_note: str = Field(description="the recipient's closing note (任务完成)")
    allowed_actions: list[str]
    number: str = Field(description="the order's number as people quote it (DP000123)")
    answer_due_at: datetime.datetime = Field(description="when a requested order counts as unanswered")
    unanswered: bool = Field(description="requested and not answered by answer_due_at")

    @staticmethod
    def resolve_allowed_actions(order) -> list[str]:
        return actions.DISPATCH.lifecycle.allowed(order.status)

    @staticmethod
    def resolve_answer_due_at(order) -> datetime.datetime:
        return order.requested_at + queries.answer_window()

    @staticmethod
    def resolve_unanswered(order) -> bool:
        return order.status == DispatchStatus.REQUESTED and timezone.now() >= (
            order.requested_at + queries.answer_window()
        )


class OrderTeam(Schema):
    id: int
    name: str
    status: TeamStatus


class DispatchOut(OrderOut):
    team: OrderTeam
    assigned_to: str | None = Field(description="username of the team leader who answers the order")
    assigned_to_name: str | None

    @staticmethod
    def resolve_assigned_to(dispatch) -> str | None:
        return username(dispatch.assigned_to)

    @staticmethod
    def resolve_assigned_to_name(dispatch) -> str | None:
        return full_name(dispatch.assigned_to)


class DispatchEventOut(DispatchOut):
    """A dispatch in a live event, with what the team leader's phone page shows of its incident."""

    incident_title: str = Field(alias="incident.title")
    incident_area: str = Field(alias="incident.area.name")
    exercise: bool = Field(alias="incident.exercise")


class FieldReportIn(Schema):
    """A field report (现场报告) from the order's recipient on scene."""

    text: str = Field(min_length=1, max_length=actions.FIELD_REPORT_MAX, description="what is happening")
    rescued: int | None = Field(None, ge=0, le=actions.FIELD_REPORT_MAX_PEOPLE, description="people rescued")
    evacuated: int | None = Field(
        None, ge=0, le=actions.FIELD_REPORT_MAX_PEOPLE, description="people evacuated"
    )


class OrderHistoryOut(Schema):
    """One entry of an order's history: a step or a field report, as the incident log recorded it."""

    id: int = Field(description="the log entry's id")
    time: datetime.datetime
    author: str | None = Field(description="username")
    author_name: str | None
    action: str = Field(description="the step (accept, arrive, complete…), field_report, or requested")
    status: DispatchStatus | None = Field(description="the order's status after the entry")
    text: str = Field(description="the log's text, in the site's language")
    report: str | None = Field(description="a field report's own text")
    rescued: int | None
    evacuated: int | None

    @staticmethod
    def resolve_author(entry) -> str | None:
        return username(entry.author)

    @staticmethod
    def resolve_author_name(entry) -> str | None:
        return full_name(entry.author)

    @staticmethod
    def resolve_action(entry) -> str:
        data = entry.data if isinstance(entry.data, dict) else {}
        return str(data.get("action") or data.get("to") or "")

    @staticmethod
    def resolve_status(entry) -> str | None:
        to = (entry.data or {}).get("to") if isinstance(entry.data, dict) else None
        return to if to in DispatchStatus.values else None

    @staticmethod
    def resolve_report(entry) -> str | None:
        return (entry.data or {}).get("report") if isinstance(entry.data, dict) else None

    @staticmethod
    def resolve_rescued(entry) -> int | None:
        return (entry.data or {}).get("rescued") if isinstance(entry.data, dict) else None

    @staticmethod
    def resolve_evacuated(entry) -> int | None:
        return (entry.data or {}).get("evacuated") if isinstance(entry.data, dict) else None


class OrderExpert(Schema):
    id: int
    name: str
    availability: Availability
    category: str = Field(alias="category.code", description="expert category code")


class SummonsOut(OrderOut):
    expert: OrderExpert
    requested_by: str | None = Field(description="username")

    @staticmethod
    def resolve_requested_by(summons) -> str | None:
        return username(summons.requested_by)


# --- Supply requests ------------------------------------------------------------------------------


class SupplyIn(Schema):
    depot: Id
    item: str = Field(max_length=32, description="supply item code")
    quantity: Decimal = Field(gt=0, lt=Decimal("1e10"))
    note: str = Field("", max_length=200)


class SupplyMoveIn(Schema):
    action: Literal[actions.SUPPLY_ACTIONS]
    quantity: Decimal | None = Field(None, gt=0, lt=Decimal("1e10"), description="omitted: all of it")
    note: str = Field("", max_length=200)


class SourcesIn(Schema):
    item: str = Field(max_length=32, description="supply item code")
    quantity: Decimal | None = Field(None, gt=0, lt=Decimal("1e10"), description="only depots with this much")
    limit: int = Field(20, ge=1, le=200)


class SupplyRequestDepot(Schema):
    id: int
    name: str


class SupplyRequestOut(Schema):
    id: int
    incident: int = Field(alias="incident_id")
    depot: SupplyRequestDepot
    item: str = Field(alias="item.code", description="supply item code")
    item_name: str = Field(alias="item.name")
    unit: str = Field(alias="item.unit")
    quantity_requested: Quantity
    quantity_approved: Quantity
    quantity_shipped: Quantity
    quantity_received: Quantity
    status: SupplyStatus
    note: str
    requested_at: datetime.datetime
    approved_at: datetime.datetime | None
    rejected_at: datetime.datetime | None
    shipped_at: datetime.datetime | None
    received_at: datetime.datetime | None
    cancelled_at: datetime.datetime | None
    ledger_reference: str = Field(description="the reference of its lines in the stock ledger")

    @staticmethod
    def resolve_ledger_reference(request) -> str:
        return actions.ledger_reference(request.incident_id)


class SupplySourceItem(Schema):
    code: str
    name: str
    unit: str


class SupplySourceOut(Schema):
    id: int = Field(alias="depot.pk")
    name: str = Field(alias="depot.name")
    balance: Quantity
    available: Quantity = Field(description="the balance less what approved requests have yet to ship")
    eta_s: float | None
    distance_m: float | None
    eta_method: str | None


class SupplySourcesOut(Schema):
    item: SupplySourceItem
    items: list[SupplySourceOut]


# --- Command: roles and tasks ---------------------------------------------------------------------


class ParticipantIn(Schema):
    user: str = Field(min_length=1, max_length=150, description="username")
    role: ParticipantRole


class ParticipantOut(Schema):
    id: int
    user: str = Field(alias="user.username", description="username")
    user_name: str = Field(alias="user.display_name")
    role: ParticipantRole
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    active: bool

    @staticmethod
    def resolve_active(participant) -> bool:
        return participant.ended_at is None


class TaskIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    owner: str | None = Field(None, max_length=150, description="username")
    due_at: datetime.datetime | None = Field(
        None, description="ISO 8601; without an offset it is read in the city's time zone (TIME_ZONE)"
    )


class TaskMoveIn(Schema):
    action: Literal[actions.TASKS.actions]


class TaskOut(Schema):
    id: int
    title: str
    owner: str | None = Field(description="username")
    owner_name: str | None
    due_at: datetime.datetime | None
    status: TaskStatus
    done_at: datetime.datetime | None
    cancelled_at: datetime.datetime | None

    @staticmethod
    def resolve_owner(task) -> str | None:
        return username(task.owner)

    @staticmethod
    def resolve_owner_name(task) -> str | None:
        return full_name(task.owner)


# --- Command posts --------------------------------------------------------------------------------


class MemberIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    role: str = Field("", max_length=100)


class PostMember(TypedDict):
    """A member of the post (not necessarily a user); ``role`` only when one was given."""

    name: str
    role: NotRequired[str]


class PostIn(Schema):
    lon: float
    lat: float
    crs: Crs = "wgs84"
    leader: str | None = Field(None, max_length=150, description="username of the post's leader")
    members: list[MemberIn] = Field(default_factory=list, max_length=100)
    communications: str = Field("", max_length=2000, description="radio channel, satellite phone, …")
    established_at: datetime.datetime | None = Field(None, description="when it was set up; omitted: now")


class CloseIn(Schema):
    note: str = Field("", max_length=2000)


class PostOut(Schema):
    id: int
    incident: int = Field(alias="incident_id")
    incident_title: str = Field(alias="incident.title")
    lon: float = Field(alias="location.x")
    lat: float = Field(alias="location.y")
    leader: str | None = Field(description="username")
    leader_name: str | None
    members: list[PostMember]
    communications: str
    established_at: datetime.datetime
    closed_at: datetime.datetime | None
    active: bool
    verified_at: datetime.datetime | None = Field(
        alias="incident.verified_at", description="when the incident was verified"
    )
    minutes_from_verification: float | None
    target_minutes: int = Field(description="CITYWATCH_COMMAND_POST_TARGET_MINUTES")
    within_target: bool | None

    @staticmethod
    def resolve_leader(post) -> str | None:
        return username(post.leader)

    @staticmethod
    def resolve_leader_name(post) -> str | None:
        return full_name(post.leader)


class PostList(Schema):
    items: list[PostOut]
    count: int


# --- Duty -----------------------------------------------------------------------------------------


class ShiftIn(Schema):
    area: str = Field(max_length=32, description="admin area code (the city or a district)")
    start: datetime.datetime
    end: datetime.datetime
    duty_officer: str = Field(max_length=150, description="username")
    leader_on_call: str | None = Field(None, max_length=150, description="username")
    note: str = Field("", max_length=200)


class ShiftOut(Schema):
    id: int
    area: AreaRef
    date: datetime.date = Field(description="the local day the shift starts")
    start: datetime.datetime = Field(description="local time (Asia/Shanghai)")
    end: datetime.datetime = Field(description="local time (Asia/Shanghai)")
    duty_officer: str = Field(alias="duty_officer.username", description="username")
    duty_officer_name: str = Field(alias="duty_officer.display_name")
    leader_on_call: str | None = Field(description="username")
    leader_on_call_name: str | None
    note: str

    @staticmethod
    def resolve_start(shift):
        return _local(shift.start)

    @staticmethod
    def resolve_end(shift):
        return _local(shift.end)

    @staticmethod
    def resolve_leader_on_call(shift) -> str | None:
        return username(shift.leader_on_call)

    @staticmethod
    def resolve_leader_on_call_name(shift) -> str | None:
        return full_name(shift.leader_on_call)


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value)


class HandoverIn(Schema):
    text: str = Field(min_length=1, max_length=10000)
    open_items: list[str] = Field(default_factory=list, max_length=100)


class HandoverOut(Schema):
    id: int
    shift: int = Field(alias="shift_id")
    time: datetime.datetime
    author: str | None = Field(description="username")
    text: str
    open_items: list[str] = Field(description="matters handed to the next shift")

    @staticmethod
    def resolve_author(entry) -> str | None:
        return username(entry.author)


class DutyScreenOut(Schema):
    now: datetime.datetime = Field(description="local time (Asia/Shanghai)")
    open_incidents: list[IncidentOut]
    overdue_reports: list[OverdueOut]
    today_roster: list[ShiftOut] = Field(description="shifts overlapping the local day")
    on_duty: list[ShiftOut] = Field(description="the shifts on watch now")
    command_posts: list[PostOut] = Field(description="the active command posts")

    @staticmethod
    def resolve_now(screen):
        return _local(screen.now)


# --- Situation reports ----------------------------------------------------------------------------

# A cell of a sitrep's table: text or a number (a boolean is neither).
Cell = StrictStr | StrictInt | StrictFloat | None
Row = dict[str, Cell]


class SitrepPatch(Schema):
    version: int | None = Field(None, ge=1, description="the version you edited; a newer one answers 409")
    summary: str | None = Field(None, max_length=20000)
    timeline: list[Row] | None = Field(None, max_length=2000)
    forces: list[Row] | None = Field(None, max_length=2000)
    supplies: list[Row] | None = Field(None, max_length=2000)
    deaths: Count | None = None
    serious_injuries: Count | None = None
    injuries: Count | None = None
    missing: Count | None = None
    needs: str | None = Field(None, max_length=10000)
    next_steps: str | None = Field(None, max_length=10000)

    def fields(self) -> dict:
        """The fields the client sent (a null changes nothing)."""
        data = self.model_dump(exclude_unset=True, exclude={"version"})
        return {k: v for k, v in data.items() if v is not None}


class IssueIn(Schema):
    version: int | None = Field(None, ge=1)


class SitrepOut(Schema):
    incident: int = Field(alias="incident_id")
    number: int
    version: int
    status: SitrepStatus
    exercise: bool
    issued_at: datetime.datetime | None
    issued_by: str | None = Field(description="username")
    created_at: datetime.datetime
    updated_at: datetime.datetime
    summary: str
    timeline: list[Row]
    forces: list[Row]
    supplies: list[Row]
    deaths: int
    serious_injuries: int
    injuries: int
    missing: int
    needs: str
    next_steps: str
    pdf: str = Field(description="the document as PDF")
    docx: str = Field(description="the document as DOCX")

    @staticmethod
    def resolve_issued_by(sitrep) -> str | None:
        return username(sitrep.issued_by)

    @staticmethod
    def resolve_pdf(sitrep) -> str:
        return f"/api/v1/incidents/{sitrep.incident_id}/sitreps/{sitrep.number}.pdf"

    @staticmethod
    def resolve_docx(sitrep) -> str:
        return f"/api/v1/incidents/{sitrep.incident_id}/sitreps/{sitrep.number}.docx"
