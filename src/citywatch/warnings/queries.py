"""Read paths of warnings; every one starts from ``restrict(user, action)`` or ``access.get_for`` — except
the public ones (``public_in_force``, ``public_version``), which show only real warnings in force and
nothing internal."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from citywatch.core import access
from citywatch.warnings.choices import MsgType, ProposalStatus, Source, WarningStatus
from citywatch.warnings.models import HazardType, Proposal, Warning, WarningVersion

RELATED = ("hazard", "area")


def in_force_q(now=None) -> Q:
    now = now or timezone.now()
    return Q(status=WarningStatus.ISSUED) & (Q(expires__isnull=True) | Q(expires__gt=now))


def warnings_for(user, action: str = "view"):
    return Warning.objects.select_related(*RELATED).prefetch_related("areas").restrict(user, action)


def warning_for(user, pk: int, action: str = "view") -> Warning:
    """404 outside the jurisdiction, 403 when the role may not ``action`` it."""
    return access.get_for(user, Warning.objects.select_related(*RELATED), action, pk=pk)


def in_force_for(user):
    return warnings_for(user).filter(in_force_q())


def awaiting_approval_for(user):
    return warnings_for(user).filter(status=WarningStatus.SUBMITTED)


def drafts_for(user):
    return warnings_for(user).filter(status__in=(WarningStatus.DRAFT, WarningStatus.SUBMITTED))


def with_pending_drafts(user, proposals: list) -> list:
    """Each proposal's ``pending``: the newest draft or submitted warning made from it that ``user`` may
    see, or None (the pages link it instead of offering a second draft at the same level)."""
    pending: dict[int, Warning] = {}
    rows = drafts_for(user).filter(proposal_id__in=[p.pk for p in proposals]).order_by("-id")
    for warning in rows:
        pending.setdefault(warning.proposal_id, warning)
    for proposal in proposals:
        proposal.pending = pending.get(proposal.pk)
    return proposals


def versions_of(user, warning: Warning):
    access.require(user, WarningVersion, "view")
    return warning.versions.select_related("by").order_by("number")


def proposals_for(user, *, open_only: bool = True):
    qs = Proposal.objects.select_related("hazard", "area").restrict(user, "view")
    return qs.filter(status=ProposalStatus.OPEN) if open_only else qs


def proposal_for(user, pk: int, action: str = "view") -> Proposal:
    return access.get_for(user, Proposal.objects.select_related("hazard", "area"), action, pk=pk)


def hazards():
    from citywatch.warnings.hazards import ensure_seeded

    ensure_seeded()
    return HazardType.objects.prefetch_related("guidance").order_by("order", "code")


# --- public ----------------------------------------------------------------------------------------


def public_in_force(now=None):
    """Real (not drill) warnings in force, for everyone: the public page, its JSON and the Atom feed
    (read without the geometries: the public page asks the database which one holds a point)."""
    from django.db.models import Prefetch

    from citywatch.core.models import AdminArea

    return (
        Warning.objects.select_related(*RELATED)
        .defer("geometry", "polygons", "area__boundary", "area__point")
        .prefetch_related(Prefetch("areas", queryset=AdminArea.objects.only("id", "code", "name", "path")))
        .filter(in_force_q(now), exercise=False)
        .order_by("-issued_at", "-id")
    )


def public_stamp() -> tuple:
    """Changes whenever any warning does (a row saved, added or removed): the public answers' cache key."""
    from django.db.models import Count, Max

    row = Warning.objects.aggregate(changed=Max("updated_at"), count=Count("id"))
    return (row["changed"], row["count"])


def public_recent_cancels(now=None) -> list[WarningVersion]:
    """The Cancel documents of CityWatch's real warnings lifted or expired in the last
    ``CITYWATCH_CAP_FEED_CANCEL_HOURS`` hours, newest first: the Atom feed lists them for that long, so
    that a reader polling the feed learns that the alert ended, and why, instead of seeing it vanish."""
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=settings.CITYWATCH_CAP_FEED_CANCEL_HOURS)
    return list(
        WarningVersion.objects.filter(
            msg_type=MsgType.CANCEL,
            sent__gt=since,
            sender=settings.CITYWATCH_CAP_SENDER,
            warning__exercise=False,
            warning__source=Source.CITYWATCH,
            warning__status__in=(WarningStatus.LIFTED, WarningStatus.EXPIRED),
        ).order_by("-sent", "-id")
    )


def public_version(identifier: str) -> WarningVersion | None:
    """A CAP document CityWatch published (not a drill): ``/cap/alerts/<identifier>.xml``."""
    return (
        WarningVersion.objects.select_related("warning")
        .filter(identifier=identifier, sender=settings.CITYWATCH_CAP_SENDER, warning__exercise=False)
        .first()
    )


def version_for(user, identifier: str) -> WarningVersion | None:
    """Any version the user may see (drills and imported ones too), by CAP identifier."""
    if not access.can(user, WarningVersion, "view"):
        return None
    return (
        WarningVersion.objects.select_related("warning")
        .restrict(user, "view")
        .filter(identifier=identifier)
        .order_by("-sender")
        .first()
    )


def current_versions(warnings) -> dict[int, WarningVersion]:
    """Each warning's newest version (one query)."""
    out: dict[int, WarningVersion] = {}
    ids = [w.pk for w in warnings]
    for version in WarningVersion.objects.filter(warning_id__in=ids).order_by("warning_id", "number"):
        out[version.warning_id] = version
    return out


def public_for_area(warnings, area=None, point=None) -> list:
    """Of the public warnings in force, those that concern ``area`` (a district picked: warnings for it,
    above it, or for places in it) or ``point`` (inside the warning's drawn area: one spatial query);
    all of them when neither is given."""
    warnings = list(warnings)
    if area is None and point is None:
        return warnings
    holding = set()
    if point is not None and warnings:
        holding = set(
            Warning.objects.filter(pk__in=[w.pk for w in warnings], geometry__contains=point).values_list(
                "pk", flat=True
            )
        )
    out = []
    for warning in warnings:
        paths = [warning.area.path, *(a.path for a in warning.areas.all())]
        by_area = area is not None and any(p.startswith(area.path) or area.path.startswith(p) for p in paths)
        if by_area or warning.pk in holding:
            out.append(warning)
    return out


def open_shelters():
    """Shelters open with room left and a location: (pk, name, location, free places, area)."""
    from django.db.models import F

    from citywatch.resources.choices import ShelterStatus
    from citywatch.resources.models import Shelter

    return (
        Shelter.objects.select_related("area")
        .filter(status=ShelterStatus.OPEN, location__isnull=False, occupancy__lt=F("capacity"))
        .only("pk", "name", "location", "capacity", "occupancy", "area__path", "area__name", "area__code")
        .order_by("pk")
    )


SHELTER_POSITIONS_SECONDS = 30.0
_shelter_positions: dict = {}


def _open_shelter_positions():
    """(ids, lon/lat array) of the open shelters with room, kept in the process for
    ``SHELTER_POSITIONS_SECONDS`` (the public page's crowd must not reload every shelter per visitor)."""
    import time

    import numpy as np

    now = time.monotonic()
    cached = _shelter_positions.get("value")
    if cached is not None and _shelter_positions["until"] > now:
        return cached
    rows = [(pk, loc.x, loc.y) for pk, loc in open_shelters().values_list("pk", "location")]
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    lonlat = np.array([(r[1], r[2]) for r in rows], dtype=float).reshape(-1, 2)
    _shelter_positions.update(value=(ids, lonlat), until=now + SHELTER_POSITIONS_SECONDS)
    return ids, lonlat


def nearest_open_shelters(lon: float, lat: float, *, limit: int = 3, minutes: float = 60):
    """The open shelters with room nearest the point by the engine's travel time (estimated without a
    road graph): [(shelter, hit)], fastest first; each checked again as it is read."""
    from citywatch.geo import routing

    ids, lonlat = _open_shelter_positions()
    if not len(ids):
        return []
    engine = routing.get_engine()
    answer = engine.nearest_by_time((lon, lat), lonlat, "from", minutes * 60, limit + 2)
    wanted = [int(ids[hit.index]) for hit in answer.results]
    shelters = {s.pk: s for s in open_shelters().filter(pk__in=wanted)}
    found = [
        (shelters[int(ids[hit.index])], hit) for hit in answer.results if int(ids[hit.index]) in shelters
    ]
    return found[:limit]


# --- monitoring data for the signal rules ----------------------------------------------------------


def district_of(area_path: str, districts: dict[str, object]):
    """The district (by path prefix) holding an area path, or None."""
    for path, district in districts.items():
        if area_path.startswith(path):
            return district
    return None


def signal_readings(variable_codes, since, until=None, districts=None):
    """Readings of the given variables (a code → since mapping, or codes all read since ``since``) at
    active stations placed in a district (of ``districts``, a set of district pks, when given):
    (stations, {variable code: (station index, epoch seconds, value) arrays}), stations being
    [(StationRef, district)] in index order. Good and estimated readings only (not suspect). Read as arrays
    (epoch seconds in SQL, as the rule engine reads), and neither the stations' nor the districts'
    geometries are loaded: this runs with every ingested batch."""
    import numpy as np
    from django.db import connection

    from citywatch.core.choices import AreaLevel
    from citywatch.core.models import AdminArea
    from citywatch.monitoring.actions.ingest import db_times, epoch_sql
    from citywatch.monitoring.choices import Quality, StationStatus
    from citywatch.monitoring.models import Station, Variable

    by_path = {
        d.path: d for d in AdminArea.objects.filter(level=AreaLevel.DISTRICT).defer("boundary", "point")
    }
    stations = []
    rows = (
        Station.objects.exclude(status=StationStatus.RETIRED)
        .order_by("id")
        .values_list("id", "external_id", "name", "area__path", "source__code")
    )
    for pk, external_id, name, path, source in rows:
        district = district_of(path or "", by_path)
        if district is not None and (districts is None or district.pk in districts):
            stations.append((StationRef(pk, external_id, name, source), district))
    pks = [station.pk for station, _district in stations]
    lookup = np.full((max(pks) + 1) if pks else 1, -1, dtype=np.int64)
    lookup[pks] = np.arange(len(pks))
    starts = variable_codes if isinstance(variable_codes, dict) else dict.fromkeys(variable_codes, since)
    variable_ids = dict(Variable.objects.filter(code__in=list(starts)).values_list("code", "pk"))
    out = {}
    for code, start in starts.items():
        parts = []
        if code in variable_ids:
            with connection.cursor() as cursor:
                for first in range(0, len(pks), SQL_CHUNK):
                    chunk = pks[first : first + SQL_CHUNK]
                    sql = (
                        f"SELECT station_id, {epoch_sql('time')}, value FROM monitoring_observation "  # noqa: S608
                        f"WHERE variable_id = %s AND quality <> %s AND time >= %s "
                        f"AND station_id IN ({', '.join(['%s'] * len(chunk))})"
                    )
                    params = [variable_ids[code], int(Quality.SUSPECT), db_times(_epochs(start))[0], *chunk]
                    if until is not None:
                        sql += " AND time <= %s"
                        params += db_times(_epochs(until))
                    cursor.execute(sql, params)
                    fetched = cursor.fetchall()
                    if fetched:
                        parts.append(np.array(fetched, dtype=np.float64))
        if parts:
            data = np.concatenate(parts)
            out[code] = (lookup[data[:, 0].astype(np.int64)], data[:, 1].astype(np.int64), data[:, 2])
        else:
            out[code] = (
                np.array([], dtype=np.int64),
                np.array([], dtype=np.int64),
                np.array([], dtype=float),
            )
    return stations, out


@dataclass
class Accumulations:
    """What ``rain_accumulations`` found, per station index (``station``): the newest reading up to the
    clock within the lookback (``time``), the newest one up to ``until`` (``newest``), the sums per
    window (``sums[window_minutes]``, int64 millionths), how many readings each holds (``counts``), and
    ``rows({(station, window_minutes), …})`` reading those windows' readings in one query (for the
    triggers a proposal keeps)."""

    station: object
    time: object
    newest: object
    sums: dict
    counts: dict
    rows: object


def _quantised_sql(column: str) -> str:
    """SQL for ``evaluation.quantise`` of one value: round(value × 10⁶) half to even, as NumPy's ``rint``
    (SQLite's ROUND goes half away from zero; a tie is exact in binary, so it is recognised exactly)."""
    from django.db import connection

    x = f"({column} * 1000000.0)"
    trunc = f"TRUNC({x})" if connection.vendor == "postgresql" else f"CAST({x} AS INTEGER)"
    return f"(CASE WHEN ABS({x} - {trunc}) = 0.5 THEN 2 * ROUND({x} / 2.0) ELSE ROUND({x}) END)"


def rain_accumulations(
    stations, code: str, since, clock, until, lookback_s: int, windows_minutes
) -> Accumulations:
    """The trailing accumulations of ``code`` (rain) at ``stations`` ([(StationRef, district)], as
    ``signal_readings`` gives them) summed by the database, for the proposals of each ingested batch
    (``actions.proposals.compute_proposals``): two aggregate queries instead of every reading of the
    window. Per station: its newest reading in ``(clock − lookback_s, clock]``, its newest in ``[since,
    until]``, and for each window W the exact sum of its readings in ``(max(t − W, clock − lookback_s),
    t]`` ending at that newest reading t — what ``signals.rainstorm_levels`` computes from the readings
    in ``(clock − lookback_s, clock]``. Good and estimated readings only."""
    import numpy as np
    from django.db import connection

    from citywatch.monitoring.actions.ingest import db_times, epoch_sql
    from citywatch.monitoring.choices import Quality
    from citywatch.monitoring.models import Variable

    pg = connection.vendor == "postgresql"
    variable = Variable.objects.filter(code=code).values_list("pk", flat=True).first()
    pks = [station.pk for station, _district in stations]
    index = {pk: i for i, pk in enumerate(pks)}
    clock_s, since_s, until_s = (int(m.timestamp()) for m in (clock, since, until))
    floor_s = clock_s - lookback_s

    def when(epoch: int) -> str:
        return db_times(np.array([epoch], dtype=np.int64))[0]

    found: dict[int, list[int]] = {}  # station index → [newest ≤ clock, newest ≤ until]
    if variable is not None:
        with connection.cursor() as cursor:
            # each station's newest reading, up to the clock and up to ``until``: two index seeks per
            # station (the unique (station, variable, time) index, read backwards), not a scan of the window
            newest_sql = (
                "(SELECT MAX(o.time) FROM monitoring_observation o WHERE o.station_id = s.id "
                "AND o.variable_id = %s AND o.quality <> %s AND o.time >= %s AND o.time <= %s)"
            )
            for first in range(0, len(pks), SQL_CHUNK):
                chunk = pks[first : first + SQL_CHUNK]
                cursor.execute(
                    f"SELECT s.id, {epoch_sql(newest_sql)}, {epoch_sql(newest_sql)} "  # noqa: S608
                    f"FROM monitoring_station s WHERE s.id IN ({', '.join(['%s'] * len(chunk))})",
                    [
                        *(variable, int(Quality.SUSPECT), when(since_s), when(clock_s)),
                        *(variable, int(Quality.SUSPECT), when(since_s), when(until_s)),
                        *chunk,
                    ],
                )
                for pk, in_clock, newest in cursor.fetchall():
                    if newest is not None:
                        found[index[pk]] = [in_clock, newest]
    placed = sorted(i for i, (t, _n) in found.items() if t is not None and t > floor_s)
    windows = sorted(set(windows_minutes))
    sums = {w: np.zeros(len(placed), dtype=np.int64) for w in windows}
    counts = {w: np.zeros(len(placed), dtype=np.int64) for w in windows}
    times = np.array([found[i][0] for i in placed], dtype=np.int64)
    bounds = {
        i: {w: max(found[i][0] - w * 60, floor_s) for w in windows} for i in placed
    }  # each window's (exclusive) start
    stamp = "%s::timestamptz" if pg else "%s"
    integer = "%s::bigint" if pg else "%s"
    q = _quantised_sql("o.value")
    per_row = 2 + len(windows)
    with connection.cursor() as cursor:
        step = max(1, SQL_CHUNK // per_row)
        for first in range(0, len(placed), step):
            chunk = placed[first : first + step]
            values, params = [], []
            for i in chunk:
                values.append(f"({integer}, {stamp}, {', '.join([stamp] * len(windows))})")
                params += [pks[i], when(found[i][0]), *(when(bounds[i][w]) for w in windows)]
            columns = ", ".join(f"lo{k}" for k in range(len(windows)))
            widest = f"lo{len(windows) - 1}"  # the longest window starts first
            totals = ", ".join(
                f"SUM(CASE WHEN o.time > w.lo{k} THEN {q} ELSE 0 END), "
                f"COUNT(CASE WHEN o.time > w.lo{k} THEN 1 END)"
                for k in range(len(windows))
            )
            sql = (
                f"WITH w(sid, hi, {columns}) AS (VALUES {', '.join(values)}) "  # noqa: S608
                f"SELECT o.station_id, {totals}"
                " FROM monitoring_observation o JOIN w ON o.station_id = w.sid "
                f"WHERE o.variable_id = %s AND o.quality <> %s AND o.time > w.{widest} AND o.time <= w.hi "
                "GROUP BY o.station_id"
            )
            cursor.execute(sql, [*params, variable, int(Quality.SUSPECT)])
            position = {pks[i]: n for n, i in enumerate(placed)}
            for pk, *totals in cursor.fetchall():
                for k, w in enumerate(windows):
                    sums[w][position[pk]] = int(round(float(totals[2 * k] or 0)))
                    counts[w][position[pk]] = int(totals[2 * k + 1] or 0)

    def rows(wanted) -> dict:
        """{(station index, window minutes): [Trigger, …]} of the windows asked for, in one query per
        chunk, each window's readings in time order."""
        from citywatch.warnings.signals import Trigger

        out: dict = {key: [] for key in wanted}
        wanted = sorted(wanted)
        step = max(1, SQL_CHUNK // 4)
        with connection.cursor() as cursor:
            for first in range(0, len(wanted), step):
                chunk = wanted[first : first + step]
                values, params = [], []
                for n, (station, window) in enumerate(chunk):
                    values.append(f"({integer}, {integer}, {stamp}, {stamp})")
                    params += [n, pks[station], when(bounds[station][window]), when(found[station][0])]
                cursor.execute(
                    f"WITH w(n, sid, lo, hi) AS (VALUES {', '.join(values)}) "  # noqa: S608
                    f"SELECT w.n, {epoch_sql('o.time')}, o.value FROM monitoring_observation o "
                    "JOIN w ON o.station_id = w.sid WHERE o.variable_id = %s AND o.quality <> %s "
                    "AND o.time > w.lo AND o.time <= w.hi ORDER BY w.n, o.time",
                    [*params, variable, int(Quality.SUSPECT)],
                )
                for n, t, v in cursor.fetchall():
                    station, window = chunk[n]
                    out[(station, window)].append(Trigger(station, int(t), float(v), code))
        return out

    newest = {i: n for i, (_t, n) in found.items() if n is not None}
    return Accumulations(np.array(placed, dtype=np.int64), times, newest, sums, counts, rows)


@dataclass(frozen=True)
class StationRef:
    """What a proposal names of a station (its triggering readings)."""

    pk: int
    external_id: str
    name: str
    source: str = ""  # the source's code


SQL_CHUNK = 900  # station ids per query (SQLite's bound parameters)


def _epochs(moment):
    import numpy as np

    return np.array([int(moment.timestamp())], dtype=np.int64)
