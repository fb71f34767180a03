"""Records in the exchange format: one dict per object, the same columns for API, export and import."""

from __future__ import annotations

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


def api_record(kind: Kind, obj) -> dict:
    data = {"id": obj.pk, **record(kind, obj)}
    if kind.located:
        data["area_name"] = obj.area.name if obj.area_id else None
        data["synthetic"] = obj.synthetic
        data["input_crs"] = obj.input_crs
    for name in ("status", "kind", "level", "category", "home_city", "availability", "readiness"):
        field = getattr(type(obj), name, None)
        if field is not None and hasattr(obj, f"get_{name}_display"):
            data[f"{name}_label"] = str(getattr(obj, f"get_{name}_display")())
    data["updated_at"] = obj.updated_at.isoformat() if getattr(obj, "updated_at", None) else None
    return data


def feature(kind: Kind, obj) -> dict:
    props = api_record(kind, obj)
    geometry = None
    if kind.located and obj.location is not None:
        geometry = {"type": "Point", "coordinates": [obj.location.x, obj.location.y]}
    return {"type": "Feature", "id": obj.pk, "geometry": geometry, "properties": props}


def display_record(kind: Kind, obj) -> dict:
    """The exchange columns as people read them on a page: choice labels instead of codes, yes/no for
    booleans, facility names for facility lists (the exchange format keeps the codes)."""
    from django.utils.translation import gettext as _

    from citywatch.resources.choices import ShelterFacility

    values = record(kind, obj, text=True)
    for column in kind.all_columns:
        if column.name in ("lon", "lat", "area_code"):
            continue
        field = kind.model._meta.get_field(column.field)
        value = getattr(obj, column.field, None)
        if field.choices and value not in (None, ""):
            values[column.name] = str(dict(field.flatchoices).get(value, value))
        elif isinstance(value, bool):
            values[column.name] = _("yes") if value else _("no")
        elif column.name == "facilities":
            labels = dict(ShelterFacility.choices)
            values[column.name] = "、".join(str(labels.get(v, v)) for v in value or [])
    return values
