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
