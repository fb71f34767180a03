"""Readings in and out: ``POST /api/v1/observations`` (feeds: a JSON array or a CSV body), the variable
catalogue and a station's time series, downsampled on the server (``agg=``, ``interval=``)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field, field_validator

from citywatch.core import access
from citywatch.core.errors import Invalid, NotFound, TooLarge
from citywatch.core.limits import LimitExceeded, check_json_containers, size_text
from citywatch.monitoring import queries
from citywatch.monitoring.actions.ingest import Batch, ingest
from citywatch.monitoring.api.schemas import StationRef, VariableOut
from citywatch.monitoring.models import Observation, Variable

router = Router(tags=["monitoring"])

CSV_TYPES = ("text/csv", "application/csv", "text/plain")


class ObservationIn(Schema):
    """One reading (the body is an array of these; a bad one is refused with its reason, the rest kept)."""

    station: str = Field(max_length=64, description="the station's external id")
    variable: str = Field(max_length=48, description="variable code: rain, water_level, wind_speed, …")
    time: dt.datetime = Field(description="ISO 8601 with a UTC offset, e.g. 2024-06-01T08:00:00+08:00")
    value: float
    quality: Literal["good", "suspect", "estimated", "corrected"] | None = "good"
    correction: bool | None = Field(
        False, description="replace a stored different value (kept in the history)"
    )
    source: str | None = Field(None, max_length=48, description="source code, when two sources use the id")


class Rejected(Schema):
    index: int = Field(description="position of the reading in the batch (0-based; CSV: data row − 1)")
    reason: str


class IngestOut(Schema):
    accepted: int = Field(description="new readings stored")
    duplicates: int = Field(description="readings already stored with the same value (stored once)")
    corrected: int = Field(description="stored readings replaced by an explicit correction")
    rejected: list[Rejected]


REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "array", "items": ObservationIn.model_json_schema()}},
            "text/csv": {
                "schema": {"type": "string"},
                "example": "station,variable,time,value\nXM-R-001,rain,2024-06-01T08:00:00+08:00,12.5\n",
            },
        },
    }
}


def _read_body(request: HttpRequest) -> Batch:
    body = request.body
    limit = settings.CITYWATCH_INGEST_MAX_BYTES
    if len(body) > limit:
        raise TooLarge(_("The request is larger than the limit of %(limit)s.") % {"limit": size_text(limit)})
    content_type = request.content_type or ""
    if content_type in CSV_TYPES:
        return Batch.from_csv(body)
    if content_type not in ("application/json", ""):
        raise Invalid(
            _("send a JSON array (application/json) or CSV (text/csv)"),
            status=415,
            code="unsupported_media_type",
        )
    try:
        check_json_containers(body, settings.CITYWATCH_INGEST_MAX_READINGS * 2 + 10)
        records = json.loads(body)
    except LimitExceeded as exc:
        raise TooLarge(str(exc)) from None
    except (ValueError, UnicodeDecodeError):
        raise Invalid(_("the body is not JSON")) from None
    return Batch.from_records(records)


@router.post(
    "/observations",
    response=IngestOut,
    summary="Send readings (a feed's JSON array or CSV)",
    openapi_extra=REQUEST_BODY,
)
def post_observations(request: HttpRequest):
    """Idempotent: the same reading twice is stored once. A ``data_feed`` token writes only its source's
    stations. Bad readings are refused one by one (``rejected``), the good ones kept; over
    ``CITYWATCH_INGEST_MAX_READINGS`` readings or ``CITYWATCH_INGEST_MAX_BYTES`` bytes: 413."""
    batch = _read_body(request)
    return ingest(batch, user=request.user).as_dict()


@router.get("/monitoring/variables", response=list[VariableOut], summary="The variable catalogue")
def list_variables(request: HttpRequest):
    access.require(request.user, Variable, "view")
    return list(queries.variables())


class SeriesQuery(Schema):
    station: int = Field(..., ge=1, le=2**62, description="station id")
    variable: str = Field(..., max_length=48, pattern=r"^[a-z0-9][a-z0-9_-]*$", description="variable code")
    since: dt.datetime | None = Field(None, description="default: 72 hours before until")
    until: dt.datetime | None = Field(None, description="default: now")
    agg: Literal["raw", "mean", "min", "max", "sum", "last", "count"] = Field(
        "raw", description="raw readings, or one value per interval"
    )
    interval: int | None = Field(
        None,
        ge=60,
        le=31 * 86400,
        description="seconds per bucket (default: about 2,000 points over the range)",
    )

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value):
        if value is None:
            return value
        if not (1970 <= value.year <= 2200):
            raise ValueError("must be a time between the years 1970 and 2200")
        return timezone.make_aware(value) if timezone.is_naive(value) else value


class SeriesOut(Schema):
    station: StationRef
    variable: VariableOut
    since: dt.datetime
    until: dt.datetime
    agg: str = Field(description="raw, or the aggregate used (a long raw range is averaged)")
    interval: int | None = Field(description="seconds per bucket; null for raw")
    readings: int = Field(description="readings in the range")
    time: list[dt.datetime] = Field(description="reading times, or bucket starts")
    value: list[float]
    count: list[int] | None = Field(description="readings per bucket")


@router.get("/monitoring/observations", response=SeriesOut, summary="A station's readings of one variable")
def get_series(request: HttpRequest, params: Query[SeriesQuery]):
    access.require(request.user, Observation, "view")
    station = queries.station_for(request.user, params.station)
    variable = Variable.objects.filter(code=params.variable).first()
    if variable is None:
        raise NotFound(_("unknown variable %(code)s") % {"code": params.variable})
    until = params.until or timezone.now()
    since = params.since or until - dt.timedelta(hours=72)
    if since >= until:
        raise Invalid(_("since must be before until"))
    if (until - since).days > 3660:
        raise Invalid(_("at most ten years at a time"))
    return queries.series(station, variable, since, until, params.agg, params.interval)
