"""Records in the exchange format: one dict per object, the columns files are exported and imported with
(and, as people read them, on the pages). The API answers through its schemas (``resources/api/schemas``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from citywatch.resources.choices import ShelterFacility
from citywatch.resources.kinds import Kind


def record(kind: Kind, obj, *, text: bool = False) -> dict:
    """The exchange columns of ``obj``; ``text=True`` writes lists and references as text (for CSV/XLSX)."""
    out = {}
    for column in kind.all_columns:
        if column.name == "lon":
            out["lon"] = round(obj.location.x, 7) if obj.location else None
        elif column.name == "lat":
            out["lat"] = round(obj.location.y, 7) if obj.location else None
        elif column.name == "area_code":
            out["area_code"] = obj.area.code if obj.area_id else None
        else:
            value = getattr(obj, column.field)
            if column.ref is not None:
                value = column.write(value) if column.write else str(value or "")
            elif text and column.write is not None:
                value = column.write(value)
            out[column.name] = value
    return out


def display_record(kind: Kind, obj) -> dict:
    """The exchange columns as people read them on a page: choice labels instead of codes, yes/no for
    booleans, facility names for facility lists (the exchange format keeps the codes)."""
    values = record(kind, obj, text=True)
    for column in kind.all_columns:
        if column.name in ("lon", "lat", "area_code"):
            continue
        field = kind.model._meta.get_field(column.field)
        value = getattr(obj, column.field, None)
        if column.show is not None:
            values[column.name] = column.show(value) or _("none on record")
        elif field.choices and value not in (None, ""):
            values[column.name] = str(dict(field.flatchoices).get(value, value))
        elif isinstance(value, bool):
            values[column.name] = _("yes") if value else _("no")
        elif column.name == "facilities":
            labels = dict(ShelterFacility.choices)
            values[column.name] = "、".join(str(labels.get(v, v)) for v in value or [])
    return values
