"""HTML forms for resource records, generated from the kinds table. Validation is the same
``actions.clean_record`` the API and the importers use."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.db import models
from django.utils.translation import gettext as _

from citywatch.core.errors import ActionError
from citywatch.resources.choices import ShelterFacility
from citywatch.resources.kinds import Column, Kind, read_bool, read_equipment, read_int, read_list


@dataclass
class FormField:
    column: Column
    widget: str  # text, number, select, checkbox, checkboxes, textarea, area
    choices: list[tuple[str, str]]
    value: object
    error: str = ""

    @property
    def name(self):
        return self.column.name


def _model_choices(kind: Kind, column: Column) -> list[tuple[str, str]]:
    try:
        field = kind.model._meta.get_field(column.field)
    except Exception:  # noqa: BLE001 - columns without a model field (lon, lat, area_code)
        return []
    if field.choices:
        return [(str(v), str(label)) for v, label in field.choices]
    if (
        isinstance(field, models.ForeignKey)
        and column.ref is not None
        and field.related_model.__name__ == "ExpertCategory"
    ):
        return [(c.code, c.name) for c in field.related_model.objects.order_by("code")]
    return []


def widget_for(kind: Kind, column: Column) -> str:
    if column.name == "area_code":
        return "area"
    if column.read is read_bool:
        return "checkbox"
    if column.read is read_int or column.name in ("lon", "lat"):
        return "number"
    if column.read is read_equipment or column.name == "notes":
        return "textarea"
    if getattr(column.read, "__qualname__", "").startswith(read_list.__name__):
        return "checkboxes"
    if _model_choices(kind, column):
        return "select"
    return "text"


def build_fields(kind: Kind, values: dict, errors: dict | None = None) -> list[FormField]:
    errors = errors or {}
    out = []
    for column in kind.all_columns:
        choices = _model_choices(kind, column)
        if column.name.endswith("facilities"):
            choices = [(v, str(label)) for v, label in ShelterFacility.choices]
        out.append(
            FormField(
                column,
                widget_for(kind, column),
                choices,
                values.get(column.name),
                errors.get(column.name, ""),
            )
        )
    return out


def data_from_post(kind: Kind, post) -> tuple[dict, str]:
    """The record as clean_record expects it, and the declared coordinate system."""
    data = {}
    for column in kind.all_columns:
        widget = widget_for(kind, column)
        if widget == "checkbox":
            data[column.name] = "1" if post.get(column.name) else "0"
        elif widget == "checkboxes":
            data[column.name] = ";".join(post.getlist(column.name))
        else:
            value = post.get(column.name, "")
            if column.name in ("lon", "lat") and value == "":
                continue
            # Leave blank optional numbers and choices unset so their defaults apply (blank is not zero).
            keep_blank = column.required or column.name in ("external_id", "notes")
            optional_blank = value == "" and not keep_blank
            if optional_blank and widget in ("number", "select"):
                continue
            data[column.name] = value
    return data, post.get("crs", "wgs84")


def save_form(request, errors: dict, problems, save):
    """A record form's POST once checked: each problem joins ``errors`` (the first per column); without
    errors ``save()`` writes the record — (record, outcome) — and "Saved." is shown. Returns the record,
    or None when the form is shown again (with its errors, or with the action's refusal as a message).
    The resources', stations' and sources' forms."""
    for p in problems:
        errors.setdefault(p.column, p.message)
    if errors:
        return None
    try:
        obj, _outcome = save()
    except ActionError as exc:
        messages.error(request, str(exc))
        return None
    messages.success(request, _("Saved."))
    return obj
