"""The alarm lifecycle: open → acknowledged (a duty officer, with a note) → cleared → closed.

The machine (``evaluation.advance_alarms``, run by ``actions.rules``) decides when a rule × station opens,
escalates and clears; :func:`apply` writes those transitions: one live alarm per rule × station (a partial
unique constraint backs it), escalated in place (its level is the highest reached; an acknowledged alarm
that escalates is open again, to be acknowledged at its new level), cleared when the value has been safe
for the hold time. People acknowledge and close (:func:`acknowledge`, :func:`close`). Staleness (a station
silent for its source's interval × 3) is an alarm of kind ``stale`` (:func:`check_stale`, the worker's).

Every step writes an ``AlarmEvent`` (the alarm's history), is change-logged (``Alarm`` is a
``DomainModel``) and publishes ``alarm.opened`` / ``alarm.escalated`` / ``alarm.acknowledged`` /
``alarm.cleared`` / ``alarm.closed`` through the notify outbox in the same transaction, which the event
stream (``/events/``) carries to the duty screen and the map.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citywatch import notify
from citywatch.core.errors import Invalid
from citywatch.core.lifecycle import Lifecycle
from citywatch.monitoring import evaluation as engine
from citywatch.monitoring.choices import (
    LEVEL_OF_RANK,
    LEVEL_RANK,
    LIVE_STATES,
    AlarmEventKind,
    AlarmKind,
    AlarmLevel,
    AlarmState,
    StationStatus,
)
from citywatch.monitoring.models import Alarm, AlarmEvent, DataSource, Station

MAX_NOTE_CHARS = 2000
STALE_LEVEL = AlarmLevel.YELLOW

LIFECYCLE = Lifecycle(
    table={
        (AlarmState.OPEN, "acknowledge"): AlarmState.ACKNOWLEDGED,
        (AlarmState.OPEN, "escalate"): AlarmState.OPEN,
        (AlarmState.ACKNOWLEDGED, "escalate"): AlarmState.OPEN,
        (AlarmState.OPEN, "clear"): AlarmState.CLEARED,
        (AlarmState.ACKNOWLEDGED, "clear"): AlarmState.CLEARED,
        (AlarmState.CLEARED, "close"): AlarmState.CLOSED,
    },
    timestamps={
        AlarmState.ACKNOWLEDGED: "acknowledged_at",
        AlarmState.CLEARED: "cleared_at",
        AlarmState.CLOSED: "closed_at",
    },
    states=AlarmState,
    state_field="state",
    illegal=gettext_noop("cannot %(action)s an alarm that is %(status)s; allowed: %(allowed)s"),
    illegal_final=gettext_noop("cannot %(action)s an alarm that is %(status)s"),
)
# The actions people take (the others are the machine's).
PEOPLE_ACTIONS = ("acknowledge", "close")

EVENT_KIND = {
    "open": AlarmEventKind.OPENED,
    "escalate": AlarmEventKind.ESCALATED,
    "acknowledge": AlarmEventKind.ACKNOWLEDGED,
    "clear": AlarmEventKind.CLEARED,
    "close": AlarmEventKind.CLOSED,
}
PUBLISHED = {
    "open": "alarm.opened",
    "escalate": "alarm.escalated",
    "acknowledge": "alarm.acknowledged",
    "clear": "alarm.cleared",
    "close": "alarm.closed",
}
SUBJECTS = {
    "open": gettext_noop("%(level)s alarm: %(station)s, %(what)s"),
    "escalate": gettext_noop("Alarm escalated to %(level)s: %(station)s, %(what)s"),
    "acknowledge": gettext_noop("Alarm acknowledged: %(station)s, %(what)s"),
    "clear": gettext_noop("Alarm cleared: %(station)s, %(what)s"),
    "close": gettext_noop("Alarm closed: %(station)s, %(what)s"),
}


def allowed_actions(alarm: Alarm) -> list[str]:
    return [a for a in LIFECYCLE.allowed(alarm.state) if a in PEOPLE_ACTIONS]


def _fmt(value) -> str:
    if value is None:
        return "—"
    if value == float("inf"):
        return "∞"
    return f"{value:.6g}"


def describe(alarm: Alarm) -> str:
    """What the alarm is about, in the current language: the rule and its deciding value."""
    if alarm.kind == AlarmKind.STALE:
        return _("no reading for %(minutes)s minutes") % {"minutes": _fmt(alarm.value)}
    rule = alarm.rule
    unit = rule.variable.unit if rule and rule.kind != "no_data" else _("min")
    return f"{rule.name if rule else ''} {_fmt(alarm.value)} {unit}".strip()


def _record(alarm: Alarm, action: str, *, user=None, note: str = "", at=None) -> AlarmEvent:
    """The history row and the outbox message of one step (inside the caller's transaction)."""
    event = AlarmEvent.objects.create(
        alarm=alarm,
        kind=EVENT_KIND[action],
        level=alarm.level,
        value=_finite(alarm.value),
        reading_time=alarm.reading_time,
        at=at or timezone.now(),
        user=user if user is not None and getattr(user, "is_authenticated", False) else None,
        note=note,
    )
    _publish(alarm, action, note)
    return event


def _publish(alarm: Alarm, action: str, note: str = "") -> None:
    """``alarm.<step>`` in the outbox, in the caller's transaction (the duty screen and the map follow it
    through the event stream)."""
    kind, fields = _message(alarm, action, note)
    notify.publish(kind, **fields)


def _message(alarm: Alarm, action: str, note: str = "") -> tuple[str, dict]:
    """The event kind and ``notify.publish`` arguments of ``alarm.<step>``."""
    station = alarm.station
    with translation.override(settings.LANGUAGE_CODE):
        subject = _(SUBJECTS[action]) % {
            "level": AlarmLevel(alarm.level).label,
            "station": station.name,
            "what": describe(alarm),
        }
    rule = alarm.rule
    return PUBLISHED[action], dict(
        area=station.area,
        subject=subject[:200],
        body=note,
        payload={
            "alarm": alarm.pk,
            "station": station.pk,
            "station_name": station.name,
            "lon": station.location.x if station.location else None,
            "lat": station.location.y if station.location else None,
            "rule": rule.pk if rule else None,
            "kind": alarm.kind,
            "level": alarm.level,
            "current_level": alarm.current_level,
            "state": alarm.state,
            "value": _finite(alarm.value),
            "reading_time": alarm.reading_time.isoformat() if alarm.reading_time else None,
            "version": alarm.version,
        },
        hazard=(rule.hazard if rule else "") or "",
        level=alarm.level,
        obj=alarm,
    )


def _moment(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC)


def apply(rule, result: engine.AlarmResult, *, now=None) -> int:
    """Write the machine's transitions for one rule (inside the ingestion's or the worker's transaction)
    and keep each live alarm's current level and value. Returns the number of transitions written.

    In bulk: the new alarms in one insert, the changed ones in one update (both change-logged with
    ``changelog.log_bulk``), their history rows in one insert; then one outbox message per alarm and step
    of the batch (an alarm that opened and escalated within one batch is announced once, as opened at its
    level; its history keeps both steps), all in one insert (``notify.publish_many``)."""
    from citywatch.core import changelog
    from citywatch.core.choices import ChangeAction

    now = now or timezone.now()
    tr = result.transitions
    ev = result.evaluations
    touched = np.unique(np.concatenate([tr.station, ev.station[result.alarm_level > 0]]))
    if not len(touched):
        return 0
    live = {
        a.station_id: a
        for a in Alarm.objects.select_for_update(of=("self",))
        .select_related("station__area", "rule__variable")
        .filter(rule=rule, kind=AlarmKind.RULE, state__in=LIVE_STATES, station_id__in=touched.tolist())
    }
    stations = {s.pk: s for s in Station.objects.select_related("area").filter(pk__in=touched.tolist())}
    created: list[Alarm] = []
    changed: dict[int, Alarm] = {}
    steps: list[tuple] = []  # (alarm, action, reading time, level, value), in order
    for station, time, action, level, value in zip(
        tr.station.tolist(),
        tr.time.tolist(),
        tr.action.tolist(),
        tr.level.tolist(),
        tr.value.tolist(),
        strict=True,
    ):
        alarm = live.get(station)
        code = LEVEL_OF_RANK[int(level)]
        reading = _moment(time)
        opening = action == engine.Action.OPEN or (action == engine.Action.ESCALATE and alarm is None)
        if opening and alarm is None:
            alarm = Alarm(
                kind=AlarmKind.RULE, rule=rule, station=stations[station], level=code, current_level=code,
                value=value, peak_value=value, reading_time=reading, opened_at=now,
            )  # fmt: skip
            created.append(alarm)
            live[station] = alarm
            steps.append((alarm, "open", reading, code, value))
        elif opening or action == engine.Action.ESCALATE:
            # (an OPEN while an alarm is live: the machine's memory was reset; keep the alarm)
            if LEVEL_RANK[code] <= LEVEL_RANK[alarm.level]:
                continue
            LIFECYCLE.apply(alarm, "escalate", now)
            alarm.level = alarm.current_level = code
            alarm.value, alarm.reading_time, alarm.escalated_at = value, reading, now
            alarm.peak_value = value if alarm.peak_value is None else max(alarm.peak_value, value)
            steps.append((alarm, "escalate", reading, code, value))
        elif action == engine.Action.CLEAR and alarm is not None:
            LIFECYCLE.apply(alarm, "clear", now)
            alarm.value, alarm.reading_time, alarm.current_level = value, reading, ""
            steps.append((alarm, "clear", reading, alarm.level, value))
            del live[station]
        else:
            continue
        if alarm.pk is not None:
            changed[alarm.pk] = alarm
    # the live alarms' latest evaluation ("red, now yellow"): not change-logged (the traffic, not a step)
    current: list[Alarm] = []
    if len(ev) and live:
        last = np.r_[ev.station[1:] != ev.station[:-1], True]
        for station, level, value, time in zip(
            ev.station[last].tolist(),
            ev.level[last].tolist(),
            ev.value[last].tolist(),
            ev.time[last].tolist(),
            strict=True,
        ):
            alarm = live.get(station)
            if alarm is None:
                continue
            alarm.current_level = LEVEL_OF_RANK.get(int(level), "")
            alarm.value, alarm.reading_time = value, _moment(time)
            alarm.peak_value = value if alarm.peak_value is None else max(alarm.peak_value, value)
            if alarm.pk is not None and alarm.pk not in changed:
                current.append(alarm)
    if created:
        Alarm.objects.bulk_create(created, batch_size=500)
        changelog.log_bulk(created, ChangeAction.CREATE)
    if changed:
        for alarm in changed.values():
            alarm.version += 1
            alarm.updated_at = now
        Alarm.objects.bulk_update(
            list(changed.values()),
            ["state", "level", "current_level", "value", "peak_value", "reading_time", "escalated_at",
             "cleared_at", "version", "updated_at"],
            batch_size=500,
        )  # fmt: skip
        changelog.log_bulk(list(changed.values()), ChangeAction.UPDATE)
    if current:
        Alarm.objects.bulk_update(
            current, ["current_level", "value", "peak_value", "reading_time"], batch_size=500
        )
    AlarmEvent.objects.bulk_create(
        [
            AlarmEvent(
                alarm=alarm,
                kind=EVENT_KIND[action],
                level=level,
                value=_finite(value),
                reading_time=reading,
                at=now,
            )
            for alarm, action, reading, level, value in steps
        ],
        batch_size=500,
    )
    # one message per alarm for its live steps of the batch, and one if it cleared
    opened = {id(step[0]) for step in steps if step[1] == "open"}
    announced: set[tuple[int, str]] = set()
    messages = []
    for alarm, action, *_rest in steps:
        key = (id(alarm), "clear" if action == "clear" else "live")
        if key in announced:
            continue
        announced.add(key)
        if action == "clear":
            messages.append(_message(alarm, "clear"))
        elif alarm.live or id(alarm) in opened:
            messages.append(_message(alarm, "open" if id(alarm) in opened else "escalate"))
    notify.publish_many(messages)
    return len(tr)


def _finite(value):
    return None if value is None or not np.isfinite(value) else value


# --- people's steps ----------------------------------------------------------------------------------
def _note(note) -> str:
    note = str(note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise Invalid(_("the note is longer than %(max)s characters") % {"max": MAX_NOTE_CHARS})
    return note


@transaction.atomic
def transition(alarm: Alarm, action: str, user, note: str = "", expected_version: int | None = None) -> Alarm:
    """A person's step (acknowledge or close) on an alarm fetched through ``queries.alarm_for`` (which
    checked jurisdiction and role). Acknowledging needs a note. 409 for an illegal step or a stale version."""
    from citywatch.core.errors import Conflict

    if action not in PEOPLE_ACTIONS:
        raise Invalid(
            _("unknown action %(action)s; use %(actions)s")
            % {"action": repr(action), "actions": ", ".join(PEOPLE_ACTIONS)}
        )
    note = _note(note)
    alarm = (
        Alarm.objects.select_for_update(of=("self",))
        .select_related("station__area", "rule__variable")
        .get(pk=alarm.pk)
    )
    if expected_version is not None and expected_version != alarm.version:
        raise Conflict(_("the alarm has changed since you loaded it; reload and try again"))
    if action == "acknowledge" and not note:
        raise Invalid(_("acknowledging an alarm needs a note (what is being done)"))
    now = timezone.now()
    LIFECYCLE.apply(alarm, action, now)
    if action == "acknowledge":
        alarm.acknowledged_by = user
        alarm.note = note
    else:
        alarm.closed_by = user
    alarm.version += 1
    alarm.save()
    _record(alarm, action, user=user, note=note, at=now)
    return alarm


def acknowledge(alarm: Alarm, user, note: str, expected_version: int | None = None) -> Alarm:
    return transition(alarm, "acknowledge", user, note, expected_version)


def close(alarm: Alarm, user, note: str = "", expected_version: int | None = None) -> Alarm:
    return transition(alarm, "close", user, note, expected_version)


# --- staleness (the worker's) ---------------------------------------------------------------------------
def check_stale(now=None) -> tuple[int, int]:
    """Open a ``stale`` alarm for every active station of an active source that has been silent for
    longer than its source's interval × 3 (a station that never reported counts from its creation), and
    clear the stale alarms of stations that reported since. Returns (opened, cleared)."""
    now = now or timezone.now()
    opened = cleared = 0
    for source in DataSource.objects.filter(active=True):
        limit = now - dt.timedelta(minutes=source.stale_after_minutes)
        silent = Station.objects.filter(source=source, status=StationStatus.ACTIVE).filter(
            Q(last_seen_at__lt=limit) | Q(last_seen_at__isnull=True, created_at__lt=limit)
        )
        with transaction.atomic():
            live = {
                a.station_id: a
                for a in Alarm.objects.select_for_update(of=("self",))
                .select_related("station__area")
                .filter(kind=AlarmKind.STALE, state__in=LIVE_STATES, station__source=source)
            }
            for station in silent.select_related("area").exclude(pk__in=list(live)):
                since = station.last_seen_at or station.created_at
                minutes = round((now - since).total_seconds() / 60)
                alarm = Alarm(
                    kind=AlarmKind.STALE,
                    station=station,
                    level=STALE_LEVEL,
                    current_level=STALE_LEVEL,
                    value=minutes,
                    reading_time=station.last_seen_at,
                    opened_at=now,
                )
                alarm.save()
                _record(alarm, "open", at=now)
                opened += 1
            silent_ids = set(silent.values_list("pk", flat=True))
            for station_id, alarm in live.items():
                if station_id in silent_ids:
                    since = alarm.station.last_seen_at or alarm.station.created_at
                    Alarm.objects.filter(pk=alarm.pk).update(value=round((now - since).total_seconds() / 60))
                    continue
                LIFECYCLE.apply(alarm, "clear", now)
                alarm.current_level = ""
                alarm.reading_time = alarm.station.last_seen_at
                alarm.version += 1
                alarm.save()
                _record(alarm, "clear", at=now)
                cleared += 1
    return opened, cleared


def open_count() -> int:
    return Alarm.objects.filter(state__in=LIVE_STATES).count()


__all__ = ["LIFECYCLE", "acknowledge", "allowed_actions", "apply", "check_stale", "close", "transition"]
