"""What every list page does with its query string: read the filters, keep the good ones, page the rows.

``listing(request, schema, queryset)`` reads the filter set ``schema`` (the same ninja ``FilterSchema``
the API uses) from the query string. A value that cannot be read is dropped and named in ``warning`` (by
the field's label), and the other filters still apply; the rows are then paged (``page`` from the query
string, 50 a page). Pages never answer 500 to a bad query string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.utils.translation import gettext as _
from pydantic import ValidationError

PAGE_SIZE = 50


@dataclass
class Listing:
    page: Page
    filters: Any  # the filter set
    raw: dict[str, str]  # the accepted query-string values, for the form and the pager's links
    warning: str | None


def read_filters(schema, query) -> tuple[Any, dict[str, str], str | None]:
    """The filter set from ``query`` (a QueryDict), the values kept, and a warning naming those dropped."""
    # A filter given several times (a multiple select: status=full&status=closed) reads as "full,closed".
    raw = {
        k: ",".join(v for v in query.getlist(k) if v != "")
        for k in query
        if k in schema.model_fields and any(v != "" for v in query.getlist(k))
    }
    try:
        return schema(**raw), raw, None
    except ValidationError as exc:
        errors = exc.errors()
        bad = list(dict.fromkeys(str(e["loc"][0]) for e in errors if e.get("loc")))
    kept = {k: v for k, v in raw.items() if k not in bad}
    try:
        filters = schema(**kept)
    except ValidationError:  # values valid alone but not together: apply none
        filters, kept = schema(), {}
    messages = {str(e["loc"][0]): e.get("msg", "") for e in errors if e.get("loc")}
    named = getattr(schema, "label", None)
    parts = []
    for name in bad:
        label = named(name) if callable(named) else str(schema.model_fields[name].title or name)
        reason = messages.get(name, "").removeprefix("Value error, ")
        # A reason of our own (translated) is shown; pydantic's English ones are not.
        parts.append(f"{label}（{reason}）" if reason and not reason.isascii() else label)
    return filters, kept, _("Ignored invalid filter values: %(fields)s") % {"fields": "、".join(parts)}


def paginate(request, queryset, size: int = PAGE_SIZE) -> Page:
    raw = request.GET.get("page", "1")
    number = int(raw) if raw.isdigit() and len(raw) < 10 else 1
    return Paginator(queryset, size).get_page(number)


def listing(request, schema, queryset, size: int = PAGE_SIZE) -> Listing:
    """Filter ``queryset`` by the query string's valid values for ``schema`` and page it."""
    filters, raw, warning = read_filters(schema, request.GET)
    return Listing(paginate(request, filters.filter(queryset), size), filters, raw, warning)
