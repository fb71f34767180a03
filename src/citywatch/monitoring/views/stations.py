"""Pages of the station registry: the station map, the list (filters, import, export), one station with
its time series, and the form to register or change one. Reads go through ``queries`` (jurisdiction
applied), writes through ``actions.stations`` — the same checks as the API and the importer."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citywatch.core import access, pages
from citywatch.core.errors import ActionError
from citywatch.core.importing import ImportFailed
from citywatch.core.models import AdminArea
from citywatch.core.queries import changes_of
from citywatch.monitoring.actions import stations as actions
from citywatch.monitoring.api.stations import StationFilter
from citywatch.monitoring.choices import LIVE_STATES, AlarmLevel, StationKind, StationStatus
from citywatch.monitoring.importers import stations as importers
from citywatch.monitoring.models import Alarm, DataSource, Rule, Station
from citywatch.monitoring.queries import stations as queries
from citywatch.resources.forms import build_fields, data_from_post
from citywatch.resources.importers import FileRejected
from citywatch.resources.serializers import record

PAGE_SIZE = 50
MAP_REFRESH_SECONDS = 15  # the station map fetches the stations again this often (and on every alarm)
STATES = list(queries.STATE_LABELS.items())


def station_map(request):
    """The station map (MapLibre on the offline basemap; ``station-map.js``)."""
    access.require(request.user, Station, "view")
    return render(
        request,
        "monitoring/station_map.html",
        {"kinds": StationKind.choices, "states": STATES, "refresh_seconds": MAP_REFRESH_SECONDS},
    )


def station_list(request):
    access.require(request.user, Station, "view")
    listing = pages.listing(
        request, StationFilter, queries.stations_for(request.user).order_by("name", "pk"), PAGE_SIZE
    )
    queries.attach_state(list(listing.page.object_list))
    can_change = access.can(request.user, Station, "add") and access.can(request.user, Station, "change")
    return render(
        request,
        "monitoring/station_list.html",
        {
            "page": listing.page,
            "raw": listing.raw,
            "warning": listing.warning,
            "kinds": StationKind.choices,
            "statuses": StationStatus.choices,
            "sources": queries.sources_for(request.user).order_by("name"),
            "can_add": access.can(request.user, Station, "add"),
            "can_import": can_change,
        },
    )


def _rules_for(station: Station):
    """The enabled rules that watch this station (by kind, source, area or list), with their levels."""
    rules = []
    for rule in Rule.objects.filter(enabled=True).select_related("variable", "target_area"):
        watches = (
            (rule.target == "kind" and rule.station_kind == station.kind)
            or (rule.target == "source" and rule.source_id == station.source_id)
            or (
                rule.target == "area"
                and rule.target_area_id
                and station.area.path.startswith(rule.target_area.path)
            )
            or (rule.target == "list" and rule.stations.filter(pk=station.pk).exists())
        )
        if watches:
            rules.append(rule)
    return rules


def station_detail(request, pk):
    """One station: where and what it is, its newest readings and live alarms, a time series of each
    variable (ECharts, ``station-chart.js``: 72 hours by default, any range, downsampled by the server)
    with the thresholds of the rules watching it, and its change log."""
    station = queries.station_for(request.user, pk)
    queries.attach_state([station])
    rules = _rules_for(station)
    variables = {r.variable for r in station.latest}
    codes = [v.variable for v in station.latest] or sorted({r.variable.code for r in rules})
    thresholds = [
        {
            "variable": r.variable.code,
            "rule": r.name,
            "kind": r.kind,
            "aggregate": r.aggregate,
            "window": r.window_minutes,
            "levels": [{"level": lvl, "value": value} for lvl, value in r.levels.items()],
        }
        for r in rules
    ]
    alarms = (
        list(
            Alarm.objects.restrict(request.user, "view")
            .filter(station=station)
            .select_related("rule__variable")
            .order_by("-opened_at")[:20]
        )
        if access.can(request.user, Alarm, "view")
        else []
    )
    # what makes the station's colour, beside its newest reading (an alarm's deciding value may be a
    # window's sum, or a reading older than the newest)
    live_alarms = [a for a in alarms if a.state in LIVE_STATES]
    return render(
        request,
        "monitoring/station_detail.html",
        {
            "station": station,
            "rules": rules,
            "thresholds": thresholds,
            "codes": codes,
            "variables": variables,
            "alarms": alarms,
            "live_alarms": live_alarms,
            "levels": AlarmLevel.choices,
            "changes": changes_of(request.user, station)[:30],
            "can_change": access.can(request.user, Station, "change"),
            "can_delete": access.can(request.user, Station, "delete"),
        },
    )


def _areas_for_form(user):
    return AdminArea.objects.restrict(user).exclude(level__in=["province"]).defer("boundary").order_by("code")


def station_edit(request, pk=None):
    instance = queries.station_for(request.user, pk, "change") if pk is not None else None
    if instance is None:
        access.require(request.user, Station, "add")
    kind = actions.STATION_KIND
    errors, crs = {}, "wgs84"
    if request.method == "POST":
        data, crs = data_from_post(kind, request.POST)
        if not data.get("area_code"):
            data.pop("area_code", None)
        try:
            ctx = actions.Context.for_user(request.user, crs)
        except ValueError as exc:
            ctx, errors["lon"] = actions.Context.for_user(request.user), str(exc)
        fields, problems = actions.clean_station(data, ctx, instance=instance)
        for p in problems:
            errors.setdefault(p.column, p.message)
        if not errors:
            try:
                obj, _outcome = actions.save_station(fields, instance)
            except ActionError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Saved."))
                return redirect("monitoring_station", pk=obj.pk)
        values = data
    else:
        values = record(kind, instance, text=True) if instance is not None else {}
    fields = build_fields(kind, values, errors)
    sources = [(s.code, s.name) for s in DataSource.objects.order_by("name")]
    for f in fields:
        if f.name == "source":
            f.widget, f.choices = "select", sources
    return render(
        request,
        "monitoring/station_edit.html",
        {
            "obj": instance,
            "fields": fields,
            "errors": errors,
            "areas": _areas_for_form(request.user),
            "crs": crs,
        },
        status=422 if errors else 200,
    )


@require_POST
def station_delete(request, pk):
    station = queries.station_for(request.user, pk, "delete")
    try:
        actions.delete_station(station)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("monitoring_station", pk=pk)
    messages.success(request, _("Deleted %(name)s.") % {"name": station})
    return redirect("monitoring_stations")


def station_export(request):
    access.require(request.user, Station, "view")
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx", "geojson"):
        raise Http404
    content, content_type, filename = importers.export_stations(request.user, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def station_import(request):
    """Upload a CSV, XLSX or GeoJSON file of stations: every row is checked first; any problem and nothing
    is written."""
    access.require(request.user, Station, "add")
    access.require(request.user, Station, "change")
    context = {"report": None, "problems": [], "limit_mb": settings.CITYWATCH_MAX_UPLOAD_BYTES // 2**20}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = _("Choose a file.")
            status = 422
        else:
            try:
                context["report"] = importers.import_upload(
                    upload,
                    user=request.user,
                    crs=request.POST.get("crs", "wgs84"),
                    dry_run=bool(request.POST.get("dry_run")),
                )
            except FileRejected as exc:
                context["problems"] = exc.report.problems
                status = exc.status
            except ImportFailed as exc:
                context["problems"] = exc.report.problems
                status = 422
    return render(request, "monitoring/station_import.html", context, status=status)
