"""Rules evaluated per ingested batch with the NumPy engine (``monitoring/evaluation.py``), the no-data
rules evaluated by the worker, the "last 7 days" preview, and rule editing.

``evaluate_batch`` runs inside the ingestion's transaction: for each enabled rule on a variable of the batch,
the stations it watches among the batch's, their history (one query: the trailing longest window before the
batch's oldest reading, everything after), the machine's states (``RuleState``), then ``track_alarms`` —
every new reading evaluated, the alarm machine run through them — and the transitions handed to
``actions.alarms.apply``. No Python loop over readings.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch.core import access
from citywatch.core.errors import Invalid
from citywatch.monitoring import evaluation as engine
from citywatch.monitoring.actions import alarms
from citywatch.monitoring.actions.ingest import PG_EPOCH, db_times, epoch_sql
from citywatch.monitoring.choices import RuleKind, RuleTarget, StationStatus
from citywatch.monitoring.models import Rule, RuleState, Station

log = logging.getLogger(__name__)
IN_CHUNK = 900


def _epoch(moment: dt.datetime | None) -> int:
    return engine.NO_TIME if moment is None else int(moment.timestamp())


def _moment(epoch: int) -> dt.datetime | None:
    return None if epoch == engine.NO_TIME else dt.datetime.fromtimestamp(int(epoch), dt.UTC)


# --- which stations a rule watches -------------------------------------------------------------------
def station_info(pks) -> dict[int, tuple[str, int, str]]:
    """pk → (kind, source id, area path) of the given stations."""
    info = {}
    pks = [int(p) for p in pks]
    for start in range(0, len(pks), IN_CHUNK):
        for pk, kind, source, path, status in Station.objects.filter(
            pk__in=pks[start : start + IN_CHUNK]
        ).values_list("pk", "kind", "source_id", "area__path", "status"):
            if status != StationStatus.RETIRED:
                info[pk] = (kind, source, path or "")
    return info


def targets(rule: Rule, stations: np.ndarray, info: dict) -> np.ndarray:
    """The stations among ``stations`` the rule watches."""
    if rule.target == RuleTarget.LIST:
        listed = set(rule.stations.values_list("pk", flat=True))
        keep = [s for s in stations.tolist() if s in listed and s in info]
    elif rule.target == RuleTarget.SOURCE:
        keep = [s for s in stations.tolist() if s in info and info[s][1] == rule.source_id]
    elif rule.target == RuleTarget.AREA:
        path = rule.target_area.path if rule.target_area_id else ""
        keep = [s for s in stations.tolist() if s in info and info[s][2].startswith(path)]
    else:
        keep = [
            s
            for s in stations.tolist()
            if s in info and (not rule.station_kind or info[s][0] == rule.station_kind)
        ]
    if rule.area_id and rule.target != RuleTarget.AREA:  # a district's rule watches its district only
        owner = rule.area.path
        keep = [s for s in keep if info[s][2].startswith(owner)]
    return np.array(sorted(keep), dtype=np.int64)


def all_targets(rule: Rule) -> np.ndarray:
    """Every station the rule watches (the preview and the no-data rules)."""
    qs = Station.objects.exclude(status=StationStatus.RETIRED)
    if rule.target == RuleTarget.LIST:
        qs = qs.filter(pk__in=rule.stations.values("pk"))
    elif rule.target == RuleTarget.SOURCE:
        qs = qs.filter(source_id=rule.source_id)
    elif rule.target == RuleTarget.AREA:
        qs = qs.filter(area__path__startswith=rule.target_area.path if rule.target_area_id else "")
    elif rule.station_kind:
        qs = qs.filter(kind=rule.station_kind)
    if rule.area_id and rule.target != RuleTarget.AREA:
        qs = qs.filter(area__path__startswith=rule.area.path)
    return np.array(sorted(qs.values_list("pk", flat=True)), dtype=np.int64)


# --- reading the database as arrays ------------------------------------------------------------------
def load_readings(
    variable_id: int, stations: np.ndarray, after: int | None, until: int | None = None
) -> engine.Readings:
    """The readings of a variable at the stations with ``after < time [≤ until]``, as engine arrays."""
    if connection.vendor == "postgresql":
        return _packed_readings(variable_id, stations, after, until)
    parts = []
    stations = [int(s) for s in stations]
    with connection.cursor() as cursor:
        for start in range(0, len(stations), IN_CHUNK):
            chunk = stations[start : start + IN_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            sql = f"SELECT station_id, {epoch_sql('time')}, value FROM monitoring_observation "  # noqa: S608
            sql += f"WHERE variable_id = %s AND station_id IN ({marks})"
            params: list = [variable_id, *chunk]
            if after is not None:
                sql += " AND time > %s"
                params += db_times(np.array([after]))
            if until is not None:
                sql += " AND time <= %s"
                params += db_times(np.array([until]))
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            if rows:
                parts.append(np.array(rows, dtype=np.float64))
    if not parts:
        return engine.Readings.empty()
    data = np.concatenate(parts)
    return engine.Readings(data[:, 0].astype(np.int64), data[:, 1].astype(np.int64), data[:, 2])


# PostgreSQL: each reading as 24 bytes (station int8, time as int8 µs from 2000, value float8, big-endian),
# all of them aggregated into one bytea by the server and read by NumPy in one go.
READING_ROW = np.dtype([("station", ">i8"), ("time", ">i8"), ("value", ">f8")])


def _packed_readings(variable_id: int, stations, after: int | None, until: int | None) -> engine.Readings:
    """``load_readings`` on PostgreSQL: the same rows, packed by the server (no Python object per reading)."""
    sql = (
        "SELECT string_agg(int8send(station_id) || timestamptz_send(time) || float8send(value), ''::bytea) "
        "FROM monitoring_observation WHERE variable_id = %s AND station_id = ANY(%s)"
    )
    params: list = [int(variable_id), [int(s) for s in stations]]
    if after is not None:
        sql += " AND time > %s"
        params.append(dt.datetime.fromtimestamp(int(after), dt.UTC))
    if until is not None:
        sql += " AND time <= %s"
        params.append(dt.datetime.fromtimestamp(int(until), dt.UTC))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        data = cursor.fetchone()[0]
    if not data:
        return engine.Readings.empty()
    rows = np.frombuffer(bytes(data), dtype=READING_ROW)
    epochs = rows["time"].astype(np.int64) // 1_000_000 + PG_EPOCH
    return engine.Readings(rows["station"].astype(np.int64), epochs, rows["value"].astype(np.float64))


def load_states(rule: Rule, stations: np.ndarray) -> engine.AlarmStates:
    states = {}
    stations = [int(s) for s in stations]
    for start in range(0, len(stations), IN_CHUNK):
        for row in RuleState.objects.filter(rule=rule, station_id__in=stations[start : start + IN_CHUNK]):
            states[row.station_id] = engine.AlarmState(
                int(row.level),
                None if row.safe_since is None else _epoch(row.safe_since),
                None if row.last_time is None else _epoch(row.last_time),
            )
    return engine.AlarmStates.from_states(states)


def save_states(rule: Rule, states: engine.AlarmStates, stations: np.ndarray | None = None) -> None:
    keep = np.ones(len(states), bool) if stations is None else np.isin(states.station, stations)
    rows = [
        RuleState(rule=rule, station_id=s, level=lvl, safe_since=_moment(since), last_time=_moment(last))
        for s, lvl, since, last in zip(
            states.station[keep].tolist(),
            states.level[keep].tolist(),
            states.safe_since[keep].tolist(),
            states.last_time[keep].tolist(),
            strict=True,
        )
    ]
    RuleState.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["rule", "station"],
        update_fields=["level", "safe_since", "last_time"],
        batch_size=500,
    )


# --- per batch ---------------------------------------------------------------------------------------
LOCK_SPACE = 0x4D4F4E  # "MON": the first key of the rules' advisory locks


def lock_rules(pks: list[int]) -> None:
    """Serialise the evaluations of the same rules by concurrent transactions (an HTTP batch and an MQTT
    batch for the same gauges): each waits for the other's commit before reading the machine's memory, so
    two transactions never open the same alarm twice. PostgreSQL: transaction-level advisory locks, taken
    in id order (no deadlock between two batches); SQLite serialises writers anyway."""
    if connection.vendor != "postgresql" or not pks:
        return
    with connection.cursor() as cursor:
        for pk in sorted(set(pks)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, int(pk) % 2**31])


def evaluate_batch(station: np.ndarray, variable: np.ndarray, time: np.ndarray, *, now=None) -> int:
    """Evaluate the enabled rules on the batch's variables (not ``no_data``: the worker's) and apply the
    alarm transitions. Returns the number of transitions. Runs in the caller's transaction."""
    now = now or timezone.now()
    count = 0
    variables = np.unique(variable).tolist()
    every = list(
        Rule.objects.filter(variable_id__in=variables, enabled=True)
        .exclude(kind=RuleKind.NO_DATA)
        .select_related("variable", "area", "target_area")
        .order_by("pk")
    )
    lock_rules([r.pk for r in every])
    for var in variables:
        rules = [r for r in every if r.variable_id == var]
        if not rules:
            continue
        sel = variable == var
        b_station, b_time = station[sel], time[sel]
        info = station_info(np.unique(b_station))
        for rule in rules:
            try:
                spec = rule.as_rule()
            except ValueError as exc:
                log.warning("rule %s is not valid and was skipped: %s", rule.pk, exc)
                continue
            watched = targets(rule, np.unique(b_station), info)
            if not len(watched):
                continue
            mine = b_time[np.isin(b_station, watched)]
            since, until = int(mine.min()), int(mine.max())
            # up to the batch's newest reading: stored newer ones were evaluated when they came (or are
            # left to their own batch, after a ``rewind``)
            history = load_readings(var, watched, since - spec.history_seconds - 1, until)
            states = load_states(rule, watched)
            result = engine.track_alarms(spec, engine.Series.of(history), states, since=since)
            count += alarms.apply(rule, result, now=now)
            save_states(rule, result.states, watched)
    return count


def rewind(rules, stations, to: dt.datetime) -> int:
    """Rewind the machines' memory of ``rules`` at ``stations`` to ``to``: readings after it that come
    again (a replay, a late backlog sent as corrections) are evaluated as if for the first time. The level
    is kept (a live alarm stays live); a safe-since after ``to`` is forgotten. Returns the states moved."""
    states = RuleState.objects.filter(rule__in=rules, station_id__in=list(stations), last_time__gt=to)
    states.filter(safe_since__gt=to).update(safe_since=None)
    return states.update(last_time=to)


def evaluate_no_data(now=None) -> int:
    """The worker's minute: every enabled ``no_data`` rule at ``now``. Returns the transitions."""
    now = now or timezone.now()
    count = 0
    epoch = int(now.timestamp())
    for rule in Rule.objects.filter(enabled=True, kind=RuleKind.NO_DATA).select_related(
        "variable", "area", "target_area"
    ):
        try:
            spec = rule.as_rule()
        except ValueError:
            continue
        watched = all_targets(rule)
        if not len(watched):
            continue
        last = _last_times(rule.variable_id, watched)
        with transaction.atomic():
            lock_rules([rule.pk])
            ev = engine.evaluate_no_data(spec, watched, last, epoch)
            states = load_states(rule, watched)
            result = engine.advance_alarms(ev, states, spec.hold_minutes)
            count += alarms.apply(rule, result, now=now)
            save_states(rule, result.states, watched)
    return count


def _last_times(variable_id: int, stations: np.ndarray) -> np.ndarray:
    last = dict.fromkeys(stations.tolist(), engine.NO_TIME)
    ids = stations.tolist()
    with connection.cursor() as cursor:
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start : start + IN_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            sql = f"SELECT station_id, {epoch_sql('MAX(time)')} FROM monitoring_observation "  # noqa: S608
            sql += f"WHERE variable_id = %s AND station_id IN ({marks}) GROUP BY station_id"
            cursor.execute(sql, [variable_id, *chunk])
            for s, t in cursor.fetchall():
                last[s] = int(t)
    return np.array([last[s] for s in ids], dtype=np.int64)


# --- the preview ("test this rule on the last 7 days") ------------------------------------------------
def preview(
    rule: Rule, *, days: int = 7, now=None, spec: engine.Rule | None = None
) -> engine.Replay | engine.Intervals:
    """When the rule would have fired over the last ``days`` days (level intervals and alarms per station),
    from the stored readings, without writing anything."""
    now = now or timezone.now()
    spec = spec or rule.as_rule()
    until = int(now.timestamp())
    since = until - days * 86400
    watched = all_targets(rule)
    if spec.kind == engine.Kind.NO_DATA:
        history = load_readings(rule.variable_id, watched, since - days * 86400)
        return engine.replay_no_data(spec, engine.Series.of(history), since, until, watched)
    history = load_readings(rule.variable_id, watched, since - spec.history_seconds - 1, until)
    return engine.replay(spec, engine.Series.of(history), since, until)


# --- editing -------------------------------------------------------------------------------------------
RULE_FIELDS = (
    "name", "variable", "kind", "op", "window_minutes", "aggregate", "direction", "blue", "yellow", "orange",
    "red", "margin", "hold_minutes", "target", "station_kind", "source", "target_area", "area", "hazard",
    "enabled",
)  # fmt: skip


def check_rule(rule: Rule) -> None:
    """``Invalid`` (422) when the rule's data do not make an engine rule or a target."""
    try:
        rule.as_rule()
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    if rule.target == RuleTarget.SOURCE and not rule.source_id:
        raise Invalid(_("a rule on a source's stations needs the source"))
    if rule.target == RuleTarget.AREA and not rule.target_area_id:
        raise Invalid(_("a rule on an area's stations needs the area"))


@transaction.atomic
def save_rule(user, data: dict, rule: Rule | None = None, stations: list | None = None) -> Rule:
    """Create or change a rule from cleaned data (model instances for the relations); the stations of a
    ``list`` rule must lie in the user's jurisdiction. Resets the machine's memory of a changed rule (its
    next batch starts afresh; live alarms stay until they clear)."""
    creating = rule is None
    access.require(user, Rule, "add" if creating else "change")
    rule = rule or Rule()
    for name, value in data.items():
        if name in RULE_FIELDS:
            setattr(rule, name, value)
    check_rule(rule)
    rule.save()
    if stations is not None:
        visible = set(
            Station.objects.within(user).filter(pk__in=[s.pk for s in stations]).values_list("pk", flat=True)
        )
        if len(visible) != len({s.pk for s in stations}):
            raise Invalid(_("some of the stations are unknown"))
        rule.stations.set(stations)
    if not creating:
        RuleState.objects.filter(rule=rule, level=0).delete()
    return rule
