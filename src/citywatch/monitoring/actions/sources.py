"""The data-source registry's writes: one source checked (``clean_source``) and saved (``save_source``).

A source is a department's feed: its code (feeds, MQTT topics and files name it), name, department,
category, contact, expected reporting interval (a station silent for three intervals is stale) and the
area it belongs to (its department's jurisdiction). Saved through the model, so the change log's signals
record every change.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from citywatch.core.errors import Conflict
from citywatch.core.models import AdminArea
from citywatch.monitoring.models import DataSource
from citywatch.resources.actions import RecordProblem, save_one

FIELDS = ("code", "name", "department", "category", "contact", "expected_interval_minutes", "active", "notes")
REQUIRED = ("code", "name", "department")


def clean_source(data: dict, user, *, instance: DataSource | None = None) -> tuple[dict, list[RecordProblem]]:
    """Model fields from an API body or a form, and every problem (the area must be in the user's
    jurisdiction; the code cannot change once feeds use it)."""
    problems: list[RecordProblem] = []
    fields: dict = {}
    for name in FIELDS:
        if name not in data:
            if instance is None and name in REQUIRED:
                problems.append(RecordProblem(name, _("is required")))
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip()
            if "\x00" in value:
                problems.append(RecordProblem(name, _("contains a NUL character")))
                continue
        if name in REQUIRED and value in ("", None):
            problems.append(RecordProblem(name, _("is required")))
            continue
        fields[name] = value
    if instance is not None and "code" in fields and fields["code"] != instance.code:
        problems.append(RecordProblem("code", _("the code of a source cannot change (feeds use it)")))
    if "area_code" in data or instance is None:
        code = str(data.get("area_code") or "").strip()
        if "\x00" in code:  # PostgreSQL refuses NUL in any text it is asked to compare
            problems.append(RecordProblem("area_code", _("contains a NUL character")))
            code = ""
        area = (
            AdminArea.objects.restrict(user, "view").filter(code=code).defer("boundary").first()
            if code
            else None
        )
        if area is None and not code and instance is None and user is not None and user.jurisdiction_id:
            area = user.jurisdiction
        if area is None:
            problems.append(
                RecordProblem(
                    "area_code",
                    _("unknown area code %(code)s") % {"code": code} if code else _("is required"),
                )
            )
        else:
            fields["area"] = area
    if problems:
        return fields, problems
    probe = DataSource(
        **{
            **(
                {f.name: getattr(instance, f.name) for f in DataSource._meta.concrete_fields}
                if instance
                else {}
            ),
            **fields,
        }
    )
    try:
        probe.full_clean(
            exclude=[
                "feed_user",
                "id",
                "created_at",
                "updated_at",
                "last_pulled_at",
                "pull_url",
                "pull_adapter",
                "pull_options",
                "pull_interval_minutes",
            ],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            problems.append(RecordProblem(name, " ".join(messages)))
    return fields, problems


def save_source(fields: dict, instance: DataSource | None = None) -> tuple[DataSource, str]:
    return save_one(
        DataSource, fields, instance, lambda _exc: Conflict(_("another source already has this code"))
    )
