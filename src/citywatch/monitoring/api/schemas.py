"""Schemas the monitoring API modules share (references to stations, variables, rules)."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from citywatch.core.api import AreaRef


class VariableOut(Schema):
    code: str = Field(description="e.g. rain, water_level, wind_speed")
    name: str = Field(description="in the request's language")
    name_zh: str
    name_en: str
    unit: str
    valid_min: float
    valid_max: float
    decimals: int


class StationRef(Schema):
    id: int
    external_id: str
    name: str
    kind: str
    source: str = Field(alias="source.code", description="source code")
    area: AreaRef
    lon: float = Field(alias="location.x")
    lat: float = Field(alias="location.y")


class RuleRef(Schema):
    id: int
    name: str
    variable: str = Field(alias="variable.code")
