"""The resource kinds, described once: the exchange columns (import, export, API), how each value is
read and written, and which model holds it. The API, the importers, the exporters, the pages and the map
layers are all built from this table, so a new kind is one entry here.

A kind that the nearby analysis ranks (``resources.nearby``) says which way it travels (``travel``):
"to" — it goes to the point asked about (rescue teams, depots, experts); "from" — people are taken from
the point to it (shelters, medical facilities, facilities). ``state_field`` names the field that says
whether a listed record can be used now (a team's or shelter's status, an expert's availability).

Every located kind shares the columns ``external_id, name, lon, lat, area_code``; each adds its own.
Chinese header names are accepted as aliases (see docs/data-formats.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from pydantic import Field

from citywatch.core import inputs
from citywatch.core.errors import Invalid
from citywatch.resources import choices as ch
from citywatch.resources.models import (
    Depot,
    DutyPerson,
    Expert,
    ExpertCategory,
    Facility,
    MedicalFacility,
    RescueTeam,
    Shelter,
    SupplyItem,
)


class CellError(ValueError):
    """A value that cannot be read; the message is shown to the user."""


# --- readers: text (from a file) or JSON (from the API) → Python value ------------------------------


def read_str(max_length: int):
    def reader(value):
        text = "" if value is None else str(value).strip()
        if "\x00" in text:
            raise CellError(gettext("contains a NUL character"))
        if len(text) > max_length:
            raise CellError(gettext("longer than %(max)s characters") % {"max": max_length})
        return text

    return reader


def read_int(value):
    """A whole number from 0 to 10^9 (read by ``core.inputs``); a blank cell is None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CellError(gettext("must be a whole number"))
    try:
        number = inputs.number(value, "")
    except Invalid:
        raise CellError(gettext("%(value)s is not a number") % {"value": repr(value)}) from None
    if number != number.to_integral_value():
        raise CellError(gettext("%(value)s is not a whole number") % {"value": repr(value)})
    if number < 0:
        raise CellError(gettext("must not be negative"))
    if number > 10**9:
        raise CellError(gettext("is too large"))
    return int(number)


TRUE_WORDS = {"1", "true", "yes", "y", "是", "有", "√", "x"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "无", ""}


def read_bool(value):
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(gettext("%(value)s is not yes/no") % {"value": repr(value)})


def read_choice(choices: type[models.TextChoices]):
    by_label = {str(label).split(" (")[0]: value for value, label in choices.choices}

    def reader(value):
        text = "" if value is None else str(value).strip()
        if text in choices.values:
            return text
        if text in by_label:
            return by_label[text]
        raise CellError(
            gettext("%(value)s is not one of %(values)s")
            % {"value": repr(text), "values": ", ".join(choices.values)}
        )

    return reader


def read_list(choices: type[models.TextChoices] | None = None):
    """A list from JSON (API) or from text separated by ``;`` / ``,`` / ``、`` (files)."""

    def reader(value):
        if value is None or value == "":
            items = []
        elif isinstance(value, list):
            items = [str(v).strip() for v in value]
        else:
            text = str(value).replace("、", ";").replace(",", ";").replace("，", ";")
            items = [part.strip() for part in text.split(";") if part.strip()]
        if choices is not None:
            bad = [i for i in items if i not in choices.values]
            if bad:
                raise CellError(
                    gettext("unknown %(items)s; use %(values)s")
                    % {"items": ", ".join(bad), "values": ", ".join(choices.values)}
                )
        return sorted(set(items)) if choices is not None else items

    return reader


def read_equipment(value):
    """Equipment as JSON ``[{"name", "quantity", "unit"}]`` or text ``冲锋舟:2艘; 水泵:4台``."""
    if value is None or value == "":
        return []
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise CellError(gettext("equipment is not valid JSON")) from None
    if isinstance(value, str):
        items = []
        for part in value.replace("；", ";").split(";"):
            part = part.strip()
            if not part:
                continue
            name, sep, rest = part.partition(":") if ":" in part else part.partition("：")
            if not sep:
                raise CellError(
                    gettext("equipment item %(item)s must be name:quantity") % {"item": repr(part)}
                )
            digits = "".join(c for c in rest if c.isdigit())
            unit = rest[len(digits) :].strip() if rest.strip().startswith(digits) else ""
            if not digits:
                raise CellError(gettext("equipment item %(item)s has no quantity") % {"item": repr(part)})
            items.append({"name": name.strip(), "quantity": int(digits), "unit": unit})
        return items
    if not isinstance(value, list):
        raise CellError(gettext("equipment must be a list"))
    out = []
    for entry in value:
        if not isinstance(entry, dict) or not str(entry.get("name", "")).strip():
            raise CellError(gettext("each equipment entry needs a name"))
        quantity = read_int(entry.get("quantity", 0))
        out.append(
            {
                "name": str(entry["name"]).strip()[:100],
                "quantity": quantity or 0,
                "unit": str(entry.get("unit", "")).strip()[:16],
            }
        )
    return out


class EquipmentItem(Schema):
    """One line of a team's equipment, as the API reads and answers it (``read_equipment`` checks it)."""

    name: str = Field(max_length=200)
    quantity: int = Field(0, ge=0, le=10**9)
    unit: str = Field("", max_length=50)


def write_equipment(items) -> str:
    return "; ".join(f"{i['name']}:{i['quantity']}{i.get('unit', '')}" for i in items or [])


def write_list(items) -> str:
    return ";".join(items or [])


@dataclass(frozen=True)
class Column:
    """One column of a kind's exchange format and one field of its API."""

    name: str
    label: str
    read: Callable[[Any], Any]
    required: bool = False
    aliases: tuple[str, ...] = ()
    write: Callable[[Any], Any] | None = None  # for text formats; JSON keeps the Python value
    api_type: Any = str
    default: Any = None
    # Reference columns name another row (an expert category by code, an organisation by name).
    ref: Callable[[Any], Any] | None = None
    attr: str | None = None  # model attribute, when it differs from the column name
    # How people read a reference on pages and in the API's ``<name>_name`` (a leader's full name).
    show: Callable[[Any], str] | None = None

    @property
    def field(self) -> str:
        return self.attr or self.name


@dataclass(frozen=True)
class Kind:
    slug: str
    model: type[models.Model]
    label: Any
    columns: tuple[Column, ...]
    located: bool = True  # has location + area + external_id
    location_required: bool = True
    filters: tuple[str, ...] = ()  # fields filterable by ?kind= / ?status= …
    extra: dict = field(default_factory=dict)
    travel: str | None = None  # "to" / "from": ranked by the nearby analysis in that direction
    state_field: str | None = None  # the field saying whether it can be used now (status, availability)
    # The value of ``state_field`` that only an order sets (a team "deployed", an expert "busy"): while an
    # order holds a record its state changes only by the order's steps (``actions.HOLDERS``).
    held_state: str | None = None

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return (COMMON if self.located else ()) + self.columns


COMMON = (
    Column("external_id", _("external id"), read_str(64), aliases=("外部编号", "编号", "外部ID")),
    Column("name", _("name"), read_str(200), required=True, aliases=("名称", "name_zh")),
    Column(
        "lon", _("longitude"), lambda v: v, aliases=("经度", "longitude", "lng", "x"), api_type=float | None
    ),
    Column("lat", _("latitude"), lambda v: v, aliases=("纬度", "latitude", "y"), api_type=float | None),
    Column(
        "area_code", _("area code"), read_str(12), required=True, aliases=("区划代码", "行政区划代码", "area")
    ),
    Column("notes", _("notes"), read_str(2000), aliases=("备注",)),
)


def _category_by_code(code):
    category = (
        ExpertCategory.objects.filter(code=code).first() or ExpertCategory.objects.filter(name=code).first()
    )
    if category is None:
        raise CellError(gettext("unknown expert category %(code)s") % {"code": repr(code)})
    return category


def _checkpoint_by_external_id(value):
    if not value:
        return None
    checkpoint = Facility.objects.filter(external_id=value, kind=ch.FacilityKind.FIRE_CHECKPOINT).first()
    if checkpoint is None:
        raise CellError(gettext("no forest fire checkpoint with external id %(id)s") % {"id": repr(value)})
    return checkpoint


def _leader_by_username(value):
    """A team leader on record, named by their login (usernames are the stable key of people)."""
    from citywatch.core.choices import Role
    from citywatch.core.models import User

    if not value:
        return None
    leader = User.objects.filter(username=value, is_active=True).first()
    if leader is None:
        raise CellError(gettext("no user %(name)s") % {"name": repr(value)})
    if leader.role != Role.TEAM_LEADER:
        raise CellError(gettext("%(name)s is not a team leader") % {"name": leader.display_name})
    return leader


def _phone():
    return Column("contact_phone", _("contact phone"), read_str(40), aliases=("联系电话", "电话", "phone"))


KINDS: dict[str, Kind] = {}
# Which way a ranked kind travels relative to the point asked about (see the module's docstring).
TO, FROM = "to", "from"


def register(kind: Kind) -> Kind:
    KINDS[kind.slug] = kind
    return kind


register(
    Kind(
        "rescue-teams",
        RescueTeam,
        _("Rescue teams"),
        (
            Column("kind", _("kind"), read_choice(ch.TeamKind), required=True, aliases=("类型", "队伍类型")),
            Column("members", _("members"), read_int, aliases=("队员人数", "人数"), default=0, api_type=int),
            Column(
                "core_members", _("core members"), read_int, aliases=("骨干人数",), default=0, api_type=int
            ),
            Column(
                "equipment",
                _("equipment"),
                read_equipment,
                aliases=("装备",),
                write=write_equipment,
                default=list,
                api_type=list[EquipmentItem],
            ),
            Column("contact_name", _("contact"), read_str(100), aliases=("联系人",)),
            _phone(),
            Column(
                "leader",
                _("team leader"),
                read_str(150),
                aliases=("队长", "队长账号"),
                ref=_leader_by_username,
                write=lambda u: u.username if u else "",
                show=lambda u: u.display_name if u else "",
            ),
            Column("status", _("status"), read_choice(ch.TeamStatus), aliases=("状态",), default="available"),
            Column(
                "readiness",
                _("readiness"),
                read_choice(ch.Readiness),
                aliases=("战备状态", "响应时间"),
                default="immediate",
            ),
        ),
        filters=("kind", "status", "readiness"),
        travel=TO,
        state_field="status",
        held_state=ch.TeamStatus.DEPLOYED,
    )
)
register(
    Kind(
        "depots",
        Depot,
        _("Depots"),
        (
            Column("kind", _("kind"), read_choice(ch.DepotKind), required=True, aliases=("类型", "仓库类型")),
            _phone(),
        ),
        filters=("kind",),
        travel=TO,
    )
)
register(
    Kind(
        "medical-facilities",
        MedicalFacility,
        _("Medical facilities"),
        (
            Column(
                "level", _("level"), read_choice(ch.MedicalLevel), required=True, aliases=("等级", "医院等级")
            ),
            Column("beds", _("beds"), read_int, aliases=("床位", "床位数"), default=0, api_type=int),
            Column(
                "emergency_department",
                _("emergency department"),
                read_bool,
                aliases=("急诊科", "急诊"),
                default=False,
                api_type=bool,
            ),
            _phone(),
        ),
        filters=("level", "emergency_department"),
        travel=FROM,
    )
)
register(
    Kind(
        "shelters",
        Shelter,
        _("Shelters"),
        (
            Column(
                "kind", _("kind"), read_choice(ch.ShelterKind), required=True, aliases=("类型", "场所类型")
            ),
            Column(
                "capacity",
                _("capacity (persons)"),
                read_int,
                required=True,
                aliases=("容纳人数", "容量"),
                api_type=int,
            ),
            Column(
                "usable_area_m2",
                _("usable area (m²)"),
                read_int,
                aliases=("可用面积", "面积"),
                default=0,
                api_type=int,
            ),
            Column(
                "facilities",
                _("facilities"),
                read_list(ch.ShelterFacility),
                aliases=("设施",),
                write=write_list,
                default=list,
                api_type=list[str],
            ),
            Column(
                "demonstration",
                _("demonstration point"),
                read_bool,
                aliases=("示范点",),
                default=False,
                api_type=bool,
            ),
            Column("status", _("status"), read_choice(ch.ShelterStatus), aliases=("状态",), default="open"),
            Column(
                "occupancy",
                _("current occupancy"),
                read_int,
                aliases=("当前人数", "已安置人数"),
                default=0,
                api_type=int,
            ),
            _phone(),
        ),
        filters=("kind", "status", "demonstration"),
        travel=FROM,
        state_field="status",
    )
)
register(
    Kind(
        "experts",
        Expert,
        _("Experts"),
        (
            Column(
                "category",
                _("category"),
                read_str(32),
                required=True,
                aliases=("类别", "专家类别"),
                ref=_category_by_code,
                write=lambda c: c.code if c else "",
            ),
            Column("specialty", _("specialty"), read_str(200), aliases=("专业", "专长")),
            Column("organisation", _("organisation"), read_str(200), aliases=("单位", "工作单位")),
            Column(
                "home_city", _("home city"), read_choice(ch.HomeCity), aliases=("所属城市",), default="local"
            ),
            Column(
                "availability",
                _("availability"),
                read_choice(ch.Availability),
                aliases=("可用状态",),
                default="available",
            ),
            _phone(),
        ),
        location_required=False,
        filters=("home_city", "availability"),
        travel=TO,
        state_field="availability",
        held_state=ch.Availability.BUSY,
    )
)
register(
    Kind(
        "facilities",
        Facility,
        _("Facilities"),
        (
            Column(
                "kind", _("kind"), read_choice(ch.FacilityKind), required=True, aliases=("类型", "设施类型")
            ),
            Column("capacity", _("capacity"), read_int, aliases=("容量",), api_type=int | None),
            _phone(),
        ),
        filters=("kind",),
        travel=FROM,
    )
)
register(
    Kind(
        "duty-people",
        DutyPerson,
        _("Duty people"),
        (
            Column("kind", _("kind"), read_choice(ch.DutyKind), required=True, aliases=("类型", "人员类型")),
            Column(
                "checkpoint",
                _("checkpoint external id"),
                read_str(64),
                aliases=("检查站编号",),
                ref=_checkpoint_by_external_id,
                write=lambda f: (f.external_id or "") if f else "",
            ),
            _phone(),
        ),
        location_required=False,
        filters=("kind",),
    )
)
register(
    Kind(
        "supply-items",
        SupplyItem,
        _("Supply items"),
        (
            Column("code", _("code"), read_str(32), required=True, aliases=("物资编码", "编码")),
            Column("name", _("name"), read_str(100), required=True, aliases=("名称", "物资名称")),
            Column(
                "category", _("category"), read_choice(ch.SupplyCategory), required=True, aliases=("类别",)
            ),
            Column("unit", _("unit"), read_str(16), required=True, aliases=("单位", "计量单位")),
        ),
        located=False,
        filters=("category",),
    )
)

LOCATED_KINDS = [k for k in KINDS.values() if k.located]
NEARBY_KINDS = tuple(k.slug for k in KINDS.values() if k.travel)


def get_kind(slug: str) -> Kind:
    try:
        return KINDS[slug]
    except KeyError:
        raise CellError(
            gettext("unknown kind %(kind)s; use one of %(kinds)s")
            % {"kind": repr(slug), "kinds": ", ".join(KINDS)}
        ) from None


def kind_of(model) -> Kind:
    return next(k for k in KINDS.values() if k.model is model or isinstance(model, k.model))
