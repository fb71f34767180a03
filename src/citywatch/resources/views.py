"""Pages of the resource registry, built from the kinds table. Reads go through ``queries``
(jurisdiction applied); every change goes through ``actions``."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citywatch.core import access, importing, inputs, pages
from citywatch.core.choices import AreaLevel
from citywatch.core.errors import ActionError
from citywatch.core.filters import area_codes
from citywatch.core.models import AdminArea
from citywatch.core.queries import changes_of
from citywatch.resources import actions, exchange, queries
from citywatch.resources import coverage as cov
from citywatch.resources.filters import FILTERS
from citywatch.resources.forms import build_fields, data_from_post, save_form
from citywatch.resources.importers import import_upload
from citywatch.resources.kinds import KINDS, Kind
from citywatch.resources.models import StockMovement, SupplyItem
from citywatch.resources.serializers import display_record, record

PAGE_SIZE = 50
COVERAGE_PAGE_SIZE = 100


def _kind(slug: str) -> Kind:
    kind = KINDS.get(slug)
    if kind is None:
        raise Http404
    return kind


def index(request):
    """The overview: how many of each kind, and for the ones an officer counts on, how many can serve
    now (teams available; shelters open, full, closed)."""
    cards = []
    for kind in KINDS.values():
        if not access.can(request.user, kind.model, "view"):
            continue
        records = queries.records_for(kind, request.user)
        card = {"kind": kind, "count": records.count(), "states": []}
        if kind.slug in OVERVIEW_STATES:
            field, shown = OVERVIEW_STATES[kind.slug]
            counts = dict(records.order_by().values_list(field).annotate(n=Count("pk")))
            labels = dict(kind.model._meta.get_field(field).choices)
            card["states"] = [
                {"value": value, "label": labels[value], "count": counts.get(value, 0), "field": field}
                for value in shown
            ]
        cards.append(card)
    return render(request, "resources/index.html", {"cards": cards})


# The states the overview counts for a kind: (field, values).
OVERVIEW_STATES = {
    "rescue-teams": ("status", ("available", "deployed")),
    "shelters": ("status", ("open", "full", "closed")),
}


def record_list(request, slug):
    kind = _kind(slug)
    access.require(request.user, kind.model, "view")
    listing = pages.listing(
        request, FILTERS[slug], queries.records_for(kind, request.user).order_by("name", "pk"), PAGE_SIZE
    )
    page, raw, warning = listing.page, listing.raw, listing.warning
    rows = [(obj, display_record(kind, obj)) for obj in page]
    columns = [
        c for c in kind.all_columns if c.name not in ("notes", "equipment", "external_id", "lon", "lat")
    ][:8]
    if kind.located:
        # People read an area by its name (集美区 · 侨英街道), not its code: the names along every row's
        # area path, read at once (the city left out).
        codes = {c for obj, _values in rows if obj.area_id for c in obj.area.path.split(".") if c}
        names = dict(
            AdminArea.objects.filter(code__in=codes)
            .exclude(level__in=(AreaLevel.PROVINCE, AreaLevel.CITY))
            .values_list("code", "name")
        )
        for obj, values in rows:
            path = obj.area.path.split(".") if obj.area_id else []
            values["area_code"] = " · ".join(names[c] for c in path if c in names) or (
                obj.area.name if obj.area_id else "—"
            )
        columns = [replace(c, label=_("area")) if c.name == "area_code" else c for c in columns]
    filter_fields = [
        (
            name,
            kind.model._meta.get_field(name).verbose_name,
            [(v, str(label)) for v, label in (kind.model._meta.get_field(name).choices or [])],
            raw.get(name, "").split(","),
        )
        for name in kind.filters
    ]
    return render(
        request,
        "resources/list.html",
        {
            "kind": kind,
            "page": page,
            "rows": rows,
            "columns": columns,
            "warning": warning,
            "raw": raw,
            "filter_fields": filter_fields,
            "can_add": access.can(request.user, kind.model, "add"),
            "can_import": access.can(request.user, kind.model, "add")
            and access.can(request.user, kind.model, "change"),
        },
    )


def record_detail(request, slug, pk):
    kind = _kind(slug)
    obj = queries.record_for(kind, request.user, pk)
    context = {
        "kind": kind,
        "obj": obj,
        "values": display_record(kind, obj),
        "changes": changes_of(request.user, obj)[:50],
        "can_change": access.allowed(request.user, obj, "change"),
        "can_delete": access.allowed(request.user, obj, "delete"),
    }
    if slug == "depots":
        context["balances"] = queries.balances_for(request.user).filter(depot=obj).order_by("item__code")
        context["movements"] = queries.movements_for(request.user).filter(depot=obj)[:30]
        context["items"] = SupplyItem.objects.order_by("code")
        context["other_depots"] = queries.depots_for(request.user).exclude(pk=obj.pk).order_by("name")[:500]
        context["can_move"] = access.can(request.user, StockMovement, "add")
    if slug == "shelters":
        context["occupancy"] = obj.occupancy_history.all()[:30]
    return render(request, "resources/detail.html", context)


def _areas_for_form(user):
    return (
        AdminArea.objects.restrict(user)
        .exclude(level__in=["province", "city"])
        .defer("boundary")
        .order_by("code")
    )


def record_edit(request, slug, pk=None):
    kind = _kind(slug)
    instance = None
    if pk is not None:
        instance = queries.record_for(kind, request.user, pk, "change")
    else:
        access.require(request.user, kind.model, "add")
    errors, crs = {}, "wgs84"
    if request.method == "POST":
        data, crs = data_from_post(kind, request.POST)
        try:
            ctx = actions.Context.for_user(request.user, crs)
        except ValueError as exc:
            ctx, errors["lon"] = actions.Context.for_user(request.user), str(exc)
        fields, problems = actions.clean_record(kind, data, ctx, instance=instance)
        obj = save_form(request, errors, problems, lambda: actions.save_resource(kind, fields, instance))
        if obj is not None:
            return redirect("resource", slug=slug, pk=obj.pk)
        values = data
    else:
        values = record(kind, instance, text=True) if instance is not None else {}
    return render(
        request,
        "resources/edit.html",
        {
            "kind": kind,
            "obj": instance,
            "fields": build_fields(kind, values, errors),
            "errors": errors,
            "areas": _areas_for_form(request.user),
            "crs": crs,
        },
        status=422 if errors else 200,
    )


@require_POST
def record_delete(request, slug, pk):
    kind = _kind(slug)
    obj = queries.record_for(kind, request.user, pk, "delete")
    try:
        actions.delete_resource(kind, obj)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("resource", slug=slug, pk=pk)
    messages.success(request, _("Deleted %(name)s.") % {"name": obj})
    return redirect("resource_list", slug=slug)


@require_POST
def stock_movement(request, pk):
    depot = queries.record_for(KINDS["depots"], request.user, pk)
    access.require(request.user, StockMovement, "add")
    item = SupplyItem.objects.filter(code=request.POST.get("item", "")).first()
    movement_kind = request.POST.get("kind", "")
    quantity = request.POST.get("quantity", "")
    reference = request.POST.get("reference", "")[:100]
    try:
        if item is None:
            raise ActionError(_("Choose a supply item."))
        if movement_kind == "transfer":
            target_pk = inputs.identifier(request.POST.get("to_depot"))
            target = queries.depots_for(request.user).filter(pk=target_pk).first() if target_pk else None
            if target is None:
                raise ActionError(_("Choose the receiving depot."))
            actions.transfer(depot, target, item, quantity, reference=reference, user=request.user)
        else:
            actions.record_movement(
                depot,
                item,
                movement_kind,
                quantity,
                reference=reference,
                note=request.POST.get("note", "")[:200],
                user=request.user,
            )
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Recorded."))
    return redirect("resource", slug="depots", pk=pk)


@require_POST
def shelter_occupancy(request, pk):
    shelter = queries.record_for(KINDS["shelters"], request.user, pk, "change")
    try:
        occupancy = inputs.count(request.POST.get("occupancy", ""), _("Occupancy"))
        actions.set_shelter_occupancy(shelter, occupancy, request.POST.get("status") or None)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Recorded."))
    return redirect("resource", slug="shelters", pk=pk)


def stock_summary(request):
    """Stock across the depots the user may see, per item."""
    totals = (
        queries.balances_for(request.user)
        .values("item__code", "item__name", "item__unit")
        .annotate(total=Sum("quantity"))
        .order_by("item__code")
    )
    return render(request, "resources/stock.html", {"totals": totals})


def exchange_download(request, slug):
    """Export the records the user may see (format from ?format=)."""
    kind = _kind(slug)
    access.require(request.user, kind.model, "view")
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx", "geojson", "gpkg"):
        raise Http404
    content, content_type, filename = exchange.export_records(slug, request.user, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def record_import(request, slug):
    """Upload a CSV, XLSX or GeoJSON file: every row is checked first; any problem and nothing is written."""
    kind = _kind(slug)
    access.require(request.user, kind.model, "add")
    access.require(request.user, kind.model, "change")
    context = {
        "kind": kind,
        "report": None,
        "problems": [],
        "limit_mb": settings.CITYWATCH_MAX_UPLOAD_BYTES // 2**20,
    }
    status = 200
    if request.method == "POST":
        shown, status = importing.upload_form(request, partial(import_upload, slug))
        context.update(shown)
    return render(request, "resources/import.html", context, status=status)


def coverage(request):
    """Grassroots coverage (基层全覆盖): each requirement per street and community, met or not."""
    level = request.GET.get("level") or None
    area = (request.GET.get("area") or "").strip()[:100]
    only_gaps = request.GET.get("only_gaps") in ("1", "true", "on")
    try:
        # The area as a person names it (同安区, 五显镇) or its code; a name shared by several: the first.
        area_code = area_codes(area)[0] if area else None
        report = cov.coverage_for(request.user, level=level, area_code=area_code, only_gaps=only_gaps)
    except (cov.CoverageError, ValueError) as exc:
        messages.error(request, str(exc))
        report = cov.coverage_for(request.user, only_gaps=only_gaps)
    if request.GET.get("format") == "csv":
        response = HttpResponse(cov.coverage_csv(report["rows"]), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="coverage.csv"'
        return response
    page = pages.paginate(request, report["rows"], COVERAGE_PAGE_SIZE)
    return render(
        request,
        "resources/coverage.html",
        {
            "report": report,
            "page": page,
            "requirements": cov.REQUIREMENTS,
            "level": level or "",
            "area": area,
            "only_gaps": only_gaps,
        },
    )
