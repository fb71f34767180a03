"""Pages of the data sources: each department's feed with its health (stations, stale ones, newest
reading, readings in the last hour and day, refused readings, dead letters), and the form to register or
change a source."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from citywatch.core import access
from citywatch.core.errors import ActionError
from citywatch.monitoring.actions import sources as actions
from citywatch.monitoring.models import DataSource, DeadLetter, RecentReject, Variable
from citywatch.monitoring.queries import sources as health
from citywatch.monitoring.queries import stations as queries

FORM_FIELDS = (*actions.FIELDS, "area_code")


def source_list(request):
    """Feed health of every source the user may see, worst first."""
    access.require(request.user, DataSource, "view")
    sources = health.attach_health(list(queries.sources_for(request.user).order_by("name", "pk")))
    order = {"down": 0, "degraded": 1, "ok": 2, "empty": 3}
    sources.sort(key=lambda s: (order[s.health.state], s.name))
    rejects = list(
        RecentReject.objects.filter(source__in=[s.pk for s in sources])
        .select_related("source")
        .order_by("-at", "-id")[:20]
    )
    names = {v.code: v.name for v in Variable.objects.filter(code__in={r.variable for r in rejects})}
    for reject in rejects:
        reject.variable_name = names.get(reject.variable, reject.variable)
    letters = []
    if access.can(request.user, DeadLetter, "view"):
        letters = list(DeadLetter.objects.restrict(request.user, "view").select_related("source")[:20])
    return render(
        request,
        "monitoring/source_list.html",
        {"sources": sources, "letters": letters, "rejects": rejects,
         "can_add": access.can(request.user, DataSource, "add"),
         "can_change": access.can(request.user, DataSource, "change")},
    )  # fmt: skip


def source_edit(request, pk=None):
    instance = queries.source_for(request.user, pk, "change") if pk is not None else None
    if instance is None:
        access.require(request.user, DataSource, "add")
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.POST.get(name, "").replace("\x00", "").strip() for name in FORM_FIELDS}
        data = dict(values)
        data["active"] = bool(request.POST.get("active"))
        try:
            data["expected_interval_minutes"] = int(values["expected_interval_minutes"] or "5")
        except ValueError:
            errors["expected_interval_minutes"] = _("must be a whole number")
        if instance is not None:
            data.pop("code")
            if not values["area_code"]:
                data.pop("area_code")
        fields, problems = actions.clean_source(data, request.user, instance=instance)
        for p in problems:
            errors.setdefault(p.column, p.message)
        if not errors:
            try:
                obj, _outcome = actions.save_source(fields, instance)
            except ActionError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Saved."))
                return redirect(reverse("monitoring_sources") + f"#source-{obj.pk}")
    elif instance is not None:
        values = {name: getattr(instance, name) for name in actions.FIELDS}
        values["area_code"] = instance.area.code
    else:
        values = {"expected_interval_minutes": 5, "active": True}
    return render(
        request,
        "monitoring/source_edit.html",
        {"obj": instance, "values": values, "errors": errors,
         "areas": _areas(request.user)},
        status=422 if errors else 200,
    )  # fmt: skip


def _areas(user):
    from citywatch.core.models import AdminArea

    return (
        AdminArea.objects.restrict(user)
        .filter(level__in=["city", "district"])
        .defer("boundary")
        .order_by("code")
    )
