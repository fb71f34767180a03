"""The typed contract of the warnings API: what every route reads (``…In``) and answers (``…Out``).
Output schemas read the model instances the handlers return (``alias`` for attribute paths,
``resolve_<name>`` for computed fields)."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from citywatch.core.api import AreaRef
from citywatch.core.pagination import Geometry, geometry_json
from citywatch.warnings.cap import alert_path

# Enumerations as literals: component names such as "Level" or "Source" are taken by other apps' enums in
# the one OpenAPI document.
Level = Literal["blue", "yellow", "orange", "red"]
WarningStatus = Literal["draft", "submitted", "issued", "lifted", "expired", "withdrawn"]
Source = Literal["citywatch", "official"]
Change = Literal["issue", "upgrade", "downgrade", "extend", "areas", "update", "lift", "expire"]
MsgType = Literal["Alert", "Update", "Cancel"]
ProposalStatus = Literal["open", "issued", "lapsed", "dismissed"]

Transition = Literal["submit", "issue", "approve", "return", "withdraw", "lift"]


class WarningIn(Schema):
    hazard: str = Field(max_length=32, description="hazard type code: rainstorm, typhoon, gale, …")
    level: Level
    area_codes: list[str] = Field(default_factory=list, max_length=200, description="admin-area codes")
    polygons: Geometry | None = Field(None, description="GeoJSON Polygon or MultiPolygon (WGS-84)")
    onset: datetime.datetime | None = None
    expires: datetime.datetime | None = None
    headline: str = Field("", max_length=200, description="blank: made from hazard, level and areas")
    description: str = Field("", max_length=4000)
    instructions: str = Field("", max_length=4000, description="blank: the default guidance")
    headline_en: str = Field("", max_length=200)
    description_en: str = Field("", max_length=4000)
    instructions_en: str = Field("", max_length=4000)
    exercise: bool = Field(False, description="a drill: CAP status Exercise, never public")

    def fields(self) -> dict[str, Any]:
        data = self.dict()
        data["polygons"] = self.polygons.dict() if self.polygons else None
        return data


class WarningEditIn(WarningIn):
    version: int | None = Field(None, ge=1, description="the version you read (409 if stale)")

    def fields(self) -> dict[str, Any]:
        data = super().fields()
        data.pop("version", None)
        return data


class WarningTransitionIn(Schema):
    action: Transition
    version: int | None = Field(None, ge=1)


class WarningHazardRef(Schema):
    code: str
    name: str
    name_en: str


class WarningVersionOut(Schema):
    number: int
    change: Change
    msg_type: MsgType
    identifier: str
    sender: str
    sent: datetime.datetime
    level: Level
    onset: datetime.datetime | None
    expires: datetime.datetime | None
    headline: str
    area_codes: list[str]
    cap_url: str

    @staticmethod
    def resolve_cap_url(version) -> str:
        return f"/api/v1/warnings/versions/{version.pk}/cap"


class WarningOut(Schema):
    id: int
    hazard: WarningHazardRef
    level: Level
    level_label: str = Field(alias="get_level_display")
    status: WarningStatus
    source: Source
    exercise: bool
    area: AreaRef
    area_codes: list[str]
    onset: datetime.datetime | None
    expires: datetime.datetime | None
    headline: str
    description: str
    instructions: str
    headline_en: str
    description_en: str
    instructions_en: str
    issuer: str
    proposal: int | None = Field(alias="proposal_id")
    issued_at: datetime.datetime | None
    lifted_at: datetime.datetime | None
    expired_at: datetime.datetime | None
    version: int
    public_cap_url: str | None = Field(description="the newest published CAP document (not for drills)")

    @staticmethod
    def resolve_area_codes(warning) -> list[str]:
        return sorted(a.code for a in warning.areas.all())

    @staticmethod
    def resolve_public_cap_url(warning) -> str | None:
        version = getattr(warning, "current_version", None)
        if version is None or warning.exercise or warning.source != "citywatch":
            return None
        return alert_path(version.identifier)


class WarningDetail(WarningOut):
    geometry: Geometry | None
    versions: list[WarningVersionOut]
    allowed_actions: list[str]

    @staticmethod
    def resolve_geometry(warning) -> dict | None:
        return geometry_json(warning.geometry)

    @staticmethod
    def resolve_versions(warning) -> list:
        return list(warning.versions.order_by("number"))

    @staticmethod
    def resolve_allowed_actions(warning, context) -> list[str]:
        from citywatch.warnings.actions import allowed_actions

        return allowed_actions(context["request"].user, warning)


class CapProblemOut(Schema):
    rule: str
    level: str
    path: str
    line: int | None
    message: str


class CapImportOut(Schema):
    created: bool = Field(description="false: the alert was already held (not imported twice)")
    warning: WarningOut
    version: WarningVersionOut
    warnings: list[CapProblemOut] = Field(description="what the reader noted but accepted")


class ProposalTriggerOut(Schema):
    station: str
    station_name: str = ""
    variable: str
    time: datetime.datetime
    value: float


class WarningProposalOut(Schema):
    id: int
    hazard: str = Field(alias="hazard.code")
    hazard_name: str = Field(alias="hazard.name")
    level: Level
    area_code: str = Field(alias="area.code")
    area_name: str = Field(alias="area.name")
    status: ProposalStatus
    issued_level: Level | None
    value: float
    unit: str
    criterion: str
    observed_at: datetime.datetime
    exercise: bool
    triggers: list[ProposalTriggerOut]
    history: list[dict[str, str]]
    warning: int | None = Field(description="the newest warning drafted or issued from it")
    dismissed_level: Level | None = Field(
        description="the level a person dismissed it at: not proposed again until the signal rises above it"
    )
    dismiss_reason: str
    dismissed_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_issued_level(proposal) -> str | None:
        return proposal.issued_level or None

    @staticmethod
    def resolve_dismissed_level(proposal) -> str | None:
        return proposal.dismissed_level or None

    @staticmethod
    def resolve_warning(proposal) -> int | None:
        warning = proposal.warnings.order_by("-id").first()
        return warning.pk if warning else None


class WarningProposalDismissIn(Schema):
    reason: str = Field(
        min_length=1,
        max_length=2000,
        description="why it is not issued (kept, and in the change log)",
    )


class WarningDraftFromProposalIn(Schema):
    expires: datetime.datetime | None = Field(None, description="default: six hours from now")


class HazardGuidanceOut(Schema):
    level: Level
    instructions: str
    instructions_en: str


class HazardTypeOut(Schema):
    code: str
    name: str
    name_en: str
    category: str
    computed: bool
    guidance: list[HazardGuidanceOut]

    @staticmethod
    def resolve_guidance(hazard) -> list:
        return list(hazard.guidance.all())
