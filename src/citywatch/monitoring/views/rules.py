"""Pages of the monitoring rules: the list, and the edit page with "test this rule on the last 7 days".

Rules are data: a person edits the levels, window, hysteresis and the stations watched on a page. The
same form has two buttons: *Save* (the model's validation and the engine's — ``Rule.as_rule()`` refuses
levels in the wrong order — then saved, change-logged by the signals) and *Test on the last 7 days*
(nothing saved): the rule as typed is replayed by ``evaluation.replay`` over the last 7 days of readings
of the stations it would watch (those the user may see), and the page lists when it would have fired —
each alarm's station, start, end, highest level and peak — beside the level intervals' count.
"""

from __future__ import annotations

import datetime

import numpy as np
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch.core import access, inputs
from citywatch.core.errors import Invalid
from citywatch.core.models import AdminArea
from citywatch.monitoring import evaluation
from citywatch.monitoring.choices import (
    LEVEL_OF_RANK,
    Aggregate,
    AlarmLevel,
    Direction,
    Operator,
    RuleKind,
    RuleTarget,
    StationKind,
)
from citywatch.monitoring.models import DataSource, Observation, Rule, Station, Variable
from citywatch.monitoring.models.rules import LEVEL_FIELDS

PREVIEW_DAYS = 7
MAX_PREVIEW_READINGS = 2_000_000
TEXT_FIELDS = ("name", "hazard")
CHOICE_FIELDS = {
    "kind": RuleKind,
    "op": Operator,
    "aggregate": Aggregate,
    "direction": Direction,
    "target": RuleTarget,
}


def rule_list(request):
    access.require(request.user, Rule, "view")
    rules = (
        Rule.objects.restrict(request.user, "view")
        .select_related("variable", "source", "target_area", "area")
        .order_by("variable__code", "name")
    )
    return render(
        request,
        "monitoring/rule_list.html",
        {"rules": rules, "can_add": access.can(request.user, Rule, "add")},
    )


def _float(raw: str, label: str) -> float | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = float(inputs.number(raw, label))
    except Invalid:
        raise Invalid(_("%(field)s: %(value)s is not a number") % {"field": label, "value": raw}) from None
    return value


def _int(raw: str, label: str, default: int = 0) -> int:
    raw = raw.strip()
    if not raw:
        return default
    if not raw.isdigit() or len(raw) > 9:
        raise Invalid(_("%(field)s must be a whole number") % {"field": label})
    return int(raw)


def read_form(post, rule: Rule, user) -> dict[str, str]:
    """Fill ``rule`` (unsaved) from the posted form; the problems by field."""
    errors: dict[str, str] = {}
    for name in TEXT_FIELDS:
        setattr(rule, name, post.get(name, "").replace("\x00", "").strip())
    for name, choices in CHOICE_FIELDS.items():
        value = post.get(name, "")
        if value not in choices.values:
            errors[name] = _("Choose one of the list.")
        else:
            setattr(rule, name, value)
    variable = Variable.objects.filter(code=post.get("variable", "")).first()
    if variable is None:
        errors["variable"] = _("Choose one of the list.")
    else:
        rule.variable = variable
    for name, label, default in (
        ("window_minutes", _("window (minutes)"), 0),
        ("hold_minutes", _("hold time to clear (minutes)"), 0),
    ):
        try:
            setattr(rule, name, _int(post.get(name, ""), label, default))
        except Invalid as exc:
            errors[name] = str(exc)
    for name in (*LEVEL_FIELDS, "margin"):
        try:
            value = _float(post.get(name, ""), name)
            setattr(rule, name, value if value is not None or name != "margin" else 0.0)
        except Invalid as exc:
            errors[name] = str(exc)
    rule.enabled = bool(post.get("enabled"))
    station_kind = post.get("station_kind", "")
    rule.station_kind = station_kind if station_kind in StationKind.values else ""
    source = post.get("source", "")
    rule.source = DataSource.objects.restrict(user, "view").filter(code=source).first() if source else None
    area = post.get("target_area", "")
    rule.target_area = (
        AdminArea.objects.restrict(user, "view").filter(code=area).defer("boundary").first() if area else None
    )
    if rule.target == RuleTarget.KIND and not rule.station_kind:
        errors["station_kind"] = _("Choose the kind of station the rule watches.")
    if rule.target == RuleTarget.SOURCE and rule.source is None:
        errors["source"] = _("Choose the data source whose stations the rule watches.")
    if rule.target == RuleTarget.AREA and rule.target_area is None:
        errors["target_area"] = _("Choose the area whose stations the rule watches.")
    if not rule.levels:
        errors["blue"] = _("Give at least one level's threshold.")
    if not errors:
        try:
            rule.as_rule()
        except ValueError as exc:
            errors["blue"] = str(exc)
    if not errors:
        try:
            rule.full_clean(exclude=["stations", "area", "created_at", "updated_at"])
        except ValidationError as exc:
            for name, messages_ in exc.message_dict.items():
                errors.setdefault(name, " ".join(messages_))
    return errors


def watched_stations(rule: Rule, user):
    """The stations ``rule`` watches that ``user`` may see."""
    qs = Station.objects.restrict(user, "view")
    if rule.target == RuleTarget.KIND:
        return qs.filter(kind=rule.station_kind)
    if rule.target == RuleTarget.SOURCE:
        return qs.filter(source=rule.source)
    if rule.target == RuleTarget.AREA and rule.target_area is not None:
        return qs.filter(Q(area__path__startswith=rule.target_area.path))
    if rule.pk:
        return qs.filter(pk__in=rule.stations.values("pk"))
    return qs.none()


def preview(rule: Rule, user, now: datetime.datetime | None = None) -> dict:
    """When ``rule`` (as typed, unsaved) would have fired over the last 7 days."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=PREVIEW_DAYS)
    engine = rule.as_rule()
    stations = {s.pk: s for s in watched_stations(rule, user).select_related("area")}
    history_from = since - datetime.timedelta(minutes=rule.window_minutes or 0)
    rows = list(
        Observation.objects.filter(
            station_id__in=list(stations), variable=rule.variable, time__gt=history_from, time__lte=now
        )
        .order_by()
        .values_list("station_id", "time", "value")[:MAX_PREVIEW_READINGS]
    )
    result = {
        "since": since,
        "until": now,
        "stations": len(stations),
        "readings": len(rows),
        "alarms": [],
        "intervals": 0,
    }
    if not rows or rule.kind == RuleKind.NO_DATA:
        return result
    station_ids = np.array([r[0] for r in rows], dtype=np.int64)
    times = np.array([int(r[1].timestamp()) for r in rows], dtype=np.int64)
    values = np.array([r[2] for r in rows], dtype=np.float64)
    series = evaluation.Series.of(evaluation.Readings(station_ids, times, values))
    replay = evaluation.replay(engine, series, since=int(since.timestamp()), until=int(now.timestamp()))
    result["intervals"] = len(replay.levels)
    alarms = []
    for row in replay.alarms.rows():
        station = stations.get(int(row.station))
        alarms.append(
            {
                "station": station,
                "level": LEVEL_OF_RANK.get(int(row.level), ""),
                "level_label": str(AlarmLevel(LEVEL_OF_RANK[int(row.level)]).label) if int(row.level) else "",
                "start": datetime.datetime.fromtimestamp(int(row.start), datetime.UTC),
                "end": None if row.ongoing else datetime.datetime.fromtimestamp(int(row.end), datetime.UTC),
                "peak": float(row.peak),
                "count": int(row.count),
            }
        )
    alarms.sort(key=lambda a: a["start"])
    result["alarms"] = alarms
    result["by_level"] = {lvl: sum(1 for a in alarms if a["level"] == lvl) for lvl in AlarmLevel.values}
    return result


def rule_edit(request, pk=None):
    if pk is not None:
        rule = access.get_for(
            request.user, Rule.objects.select_related("variable", "source", "target_area"), "view", pk=pk
        )
        can_save = (
            access.can(request.user, Rule, "change")
            and Rule.objects.restrict(request.user, "change").filter(pk=pk).exists()
        )
    else:
        access.require(request.user, Rule, "add")
        rule = Rule(kind=RuleKind.WINDOW, op=Operator.GE, target=RuleTarget.KIND, enabled=True)
        can_save = True
    errors: dict[str, str] = {}
    result = None
    status = 200
    if request.method == "POST":
        errors = read_form(request.POST, rule, request.user)
        if errors:
            status = 422
        elif "preview" in request.POST:
            result = preview(rule, request.user)
        elif not can_save:
            access.require(request.user, Rule, "change")
            errors["name"] = _("You may not change this rule.")
            status = 403
        else:
            with transaction.atomic():
                if rule.pk is None and rule.area_id is None:
                    rule.area = request.user.jurisdiction
                rule.save()
            messages.success(request, _("Saved."))
            return redirect("monitoring_rule", pk=rule.pk)
    return _render_rule(
        request,
        rule,
        status=status,
        errors=errors,
        result=result,
        can_save=can_save,
        areas=_areas(request.user),
    )


def rule_preview(request, pk):
    """The preview of a saved rule as it is (a link from the rule list)."""
    rule = access.get_for(
        request.user, Rule.objects.select_related("variable", "source", "target_area"), "view", pk=pk
    )
    return _render_rule(
        request,
        rule,
        errors={},
        result=preview(rule, request.user),
        can_save=False,
        readonly=True,
        areas=AdminArea.objects.none(),
    )


def _areas(user):
    """The areas a rule may watch: the user's cities, districts and streets."""
    return (
        AdminArea.objects.restrict(user, "view")
        .filter(level__in=["city", "district", "street"])
        .defer("boundary")
        .order_by("code")
    )


def _render_rule(request, rule, *, status: int = 200, **context):
    """The rule page (form, preview) with the choices its fields offer."""
    return render(
        request,
        "monitoring/rule_edit.html",
        {
            "rule": rule,
            **context,
            "variables": Variable.objects.order_by("code"),
            "kinds": RuleKind.choices,
            "ops": Operator.choices,
            "aggregates": Aggregate.choices,
            "directions": Direction.choices,
            "targets": RuleTarget.choices,
            "station_kinds": StationKind.choices,
            "sources": DataSource.objects.restrict(request.user, "view").order_by("name"),
            "level_fields": LEVEL_FIELDS,
            "preview_days": PREVIEW_DAYS,
        },
        status=status,
    )
