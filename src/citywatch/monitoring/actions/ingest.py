"""The one ingestion function: every path (``POST /api/v1/observations``, ``citywatch ingest mqtt``,
``citywatch import observations``, the pull adapters, the demo's storm) reads its input into a
:class:`Batch` and calls :func:`ingest`.

``ingest`` validates the batch as arrays (known station the caller may write, known variable, a finite
number inside the variable's valid range, a time from 1970 to ``CITYWATCH_INGEST_FUTURE_MINUTES`` ahead),
then writes it in **one transaction**: the readings go to a staging table (``COPY`` on PostgreSQL, one
``executemany`` on SQLite), are compared with what is stored (one join), and the new ones are inserted with
``INSERT … SELECT … ON CONFLICT DO NOTHING``. It answers ``{accepted, duplicates, corrected, rejected:
[{index, reason}]}``: a bad reading is refused with its reason and the good ones of the same batch are kept
(feeds are not registers). The same reading sent twice is stored once (a duplicate); a *different* value
for a stored (station, variable, time) is refused unless the reading says it is a correction
(``correction: true``, or ``correct=True`` for the whole batch), which replaces the value and keeps the old
one in ``ObservationCorrection``. Within a batch the first reading of a key wins; a later different one is
refused. Times are stored to the second (a fraction is dropped).

The refused readings are also counted per source, hour and kind of reason, with the source's last few
kept (``actions.rejects``: bounded whatever a feed sends), for the feed health of the sources page.

Inside the same transaction the rules watching the batch's variables are evaluated over the new readings
(``actions.rules.evaluate_batch``), so alarms open, escalate and clear with the readings that caused them
and their events leave through the notify outbox after the commit. The ``AFTER_BATCH`` hooks then run
in the same transaction (warnings' signal proposals).

Who may write what: a ``data_feed`` user (a source's token, ``citywatch token create --source``) only the
stations of the sources it feeds; other users the stations in their jurisdiction, with the permission to
add observations; system callers (``user=None``: MQTT, files, pull adapters) any station, or those of
``source``. A station id is its ``external_id``, unique within its source: a reading may name its source
(``source``) when two sources use the same id.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from citywatch.core import access
from citywatch.core.choices import Role
from citywatch.core.errors import Invalid, TooLarge
from citywatch.monitoring.actions import rejects
from citywatch.monitoring.choices import QUALITY_CODES, Quality
from citywatch.monitoring.models import Observation, ObservationCorrection, Station, Variable

NO_TIME = np.iinfo(np.int64).min
MAX_ID_CHARS = 64
LOOKUP_CHUNK = 5000


# --- reading input -----------------------------------------------------------------------------------
def parse_time(raw) -> int | str:
    """Epoch seconds (UTC, fraction dropped) of an ISO 8601 time with an offset, or why it is not one."""
    if isinstance(raw, dt.datetime):
        moment = raw
    else:
        if not isinstance(raw, str) or not raw.strip():
            return _("no time")
        text = raw.strip()
        if len(text) > 40:
            return _("not an ISO 8601 time")
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return _("not an ISO 8601 time")
    if moment.tzinfo is None or moment.utcoffset() is None:
        return _("time without a UTC offset (write it as 2024-06-01T08:00:00+08:00)")
    try:
        return math.floor(moment.timestamp())
    except (OverflowError, OSError, ValueError):
        return _("not an ISO 8601 time")


def parse_value(raw) -> float | str:
    """A float from a JSON number or a numeric text, or the reason it is not one (NaN and infinities are
    refused here too: a reading is a finite number)."""
    if type(raw) is float or type(raw) is int:
        value = float(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        if not text or len(text) > 40:
            return _("not a number")
        try:
            value = float(text)
        except ValueError:
            return _("not a number")
    else:
        return _("not a number")
    if not math.isfinite(value):
        return _("not a finite number (NaN or infinity)")
    return value


def parse_quality(raw) -> int | str:
    if raw is None or raw == "":
        return Quality.GOOD
    if isinstance(raw, str):
        code = QUALITY_CODES.get(raw.strip().lower())
        if code is not None:
            return int(code)
        if raw.strip().isdigit():
            raw = int(raw.strip())
    if type(raw) is int and raw in Quality.values:
        return raw
    return _("unknown quality flag (good, suspect, estimated or corrected)")


def parse_flag(raw) -> bool | str:
    if raw is None or raw == "" or raw is False:
        return False
    if raw is True:
        return True
    if isinstance(raw, str) and raw.strip().lower() in ("true", "1", "yes", "y", "false", "0", "no", "n"):
        return raw.strip().lower() in ("true", "1", "yes", "y")
    if type(raw) is int and raw in (0, 1):
        return bool(raw)
    return _("correction must be true or false")


def _ident(raw) -> str | None:
    if type(raw) is int:
        raw = str(raw)
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    return text if 0 < len(text) <= MAX_ID_CHARS else None


@dataclass
class Batch:
    """Readings as parallel columns; ``problems`` holds the reason of each row refused while it was read
    (its other columns are placeholders). Build one with :meth:`from_records` (JSON objects, CSV rows as
    dicts) or :meth:`from_columns`."""

    station: list
    variable: list
    time: np.ndarray  # int64 epoch seconds
    value: np.ndarray  # float64
    quality: np.ndarray  # int16
    correction: np.ndarray  # bool
    source: list | None = None  # source code per row (None: not given)
    problems: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.station)

    @classmethod
    def from_records(cls, records: Sequence, *, source: str | None = None) -> Batch:
        """From mappings with ``station``, ``variable``, ``time``, ``value`` and optionally ``quality``,
        ``correction`` and ``source``. A ``source`` argument names the source of every row (an MQTT topic)."""
        if not isinstance(records, list | tuple):
            raise Invalid(_("the body must be a JSON array of readings"))
        check_size(len(records))
        n = len(records)
        station, variable, sources = [None] * n, [None] * n, [source] * n
        time, value = [0] * n, [0.0] * n
        quality = np.zeros(n, dtype=np.int16)
        correction = np.zeros(n, dtype=bool)
        problems: dict[int, str] = {}
        times: dict = {}
        any_source = source is not None
        not_object = _("a reading must be an object with station, variable, time and value")
        no_station = _("no station id (a text of 1 to 64 characters)")
        no_variable = _("no variable code")
        for i, rec in enumerate(records):  # the one loop over rows: fast paths for the usual types
            if type(rec) is not dict and not isinstance(rec, Mapping):
                problems[i] = not_object
                continue
            get = rec.get
            st = get("station")
            if type(st) is not str or not 0 < len(st) <= MAX_ID_CHARS or st[0] == " " or st[-1] == " ":
                st = _ident(st)
                if st is None:
                    problems[i] = no_station
                    continue
            station[i] = st  # (kept for a row refused below too: its source's feed health)
            var = get("variable")
            if type(var) is not str or not 0 < len(var) <= 48:
                problems[i] = no_variable
                continue
            variable[i] = var if var[0] != " " and var[-1] != " " else var.strip()
            raw_time = get("time")
            t = times.get(raw_time) if type(raw_time) is str else None
            if t is None:
                t = parse_time(raw_time)
                if type(raw_time) is str and len(times) < 100_000:
                    times[raw_time] = t
            if type(t) is str:
                problems[i] = t
                continue
            v = get("value")
            if type(v) is not float or v - v != 0.0:  # not a finite float (NaN - NaN and inf - inf are NaN)
                v = parse_value(v)
                if type(v) is str:
                    problems[i] = v
                    continue
            q = get("quality")
            if q is not None:
                q = parse_quality(q)
                if type(q) is str:
                    problems[i] = q
                    continue
            c = get("correction")
            if c is not None:
                c = parse_flag(c)
                if type(c) is str:
                    problems[i] = c
                    continue
            if source is None:
                code = get("source")
                if code is not None and code != "":
                    code = _ident(code)
                    if code is None:
                        problems[i] = _("source must be a source code")
                        continue
                    sources[i] = code
                    any_source = True
            time[i] = t
            value[i] = v
            if q:
                quality[i] = q
            if c:
                correction[i] = True
        return cls(
            station,
            variable,
            np.array(time, dtype=np.int64),
            np.array(value, dtype=np.float64),
            quality,
            correction,
            sources if any_source else None,
            problems,
        )

    @classmethod
    def from_csv(cls, data: bytes) -> Batch:
        """From the feeds' long CSV (``csv_records``)."""
        return cls.from_records(csv_records(data))

    @classmethod
    def from_columns(
        cls,
        station: Sequence,
        variable: Sequence | str,
        time,
        value,
        *,
        quality=None,
        correction=None,
        source: str | Sequence | None = None,
    ) -> Batch:
        """From columns already typed: station ids, variable codes (or one for all), times as epoch seconds
        (int64 array) or aware datetimes, values as floats (NaN is refused per row)."""
        n = len(station)
        check_size(n)
        variable = [variable] * n if isinstance(variable, str) else list(variable)
        problems: dict[int, str] = {}
        t = np.asarray(time)
        if t.dtype == object:
            parsed = [parse_time(x) for x in t]
            for i, p in enumerate(parsed):
                if isinstance(p, str):
                    problems[i] = p
            t = np.array([0 if isinstance(p, str) else p for p in parsed], dtype=np.int64)
        elif t.dtype.kind == "M":
            t = t.astype("datetime64[s]").astype(np.int64)
        else:
            t = t.astype(np.int64)
        v = np.asarray(value, dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(v))
        for i in bad.tolist():
            problems.setdefault(i, _("not a finite number (NaN or infinity)"))
        q = np.zeros(n, np.int16) if quality is None else np.asarray(quality, dtype=np.int16)
        c = np.zeros(n, bool) if correction is None else np.asarray(correction, dtype=bool)
        sources = None if source is None else ([source] * n if isinstance(source, str) else list(source))
        stations = [str(s) for s in station]
        return cls(stations, variable, t, v, q, c, sources, problems)


CSV_COLUMNS = ("station", "variable", "time", "value", "quality", "correction", "source")


def csv_records(data: bytes) -> list[dict]:
    """The records of the feeds' long CSV (a header naming ``station``, ``variable``, ``time``, ``value``
    and optionally ``quality``, ``correction``, ``source``), bounded like every CSV (``core.limits``)."""
    import csv

    from citywatch.core.limits import LimitExceeded, UndecodableText, csv_rows

    try:
        rows = csv_rows(data, settings.CITYWATCH_INGEST_MAX_READINGS)
        header = next(rows, None)
        if not header:
            raise Invalid(_("the CSV body is empty"))
        names = [h.strip().lower() for h in header]
        missing = [c for c in CSV_COLUMNS[:4] if c not in names]
        if missing:
            raise Invalid(_("the CSV header lacks %(columns)s") % {"columns": ", ".join(missing)})
        keep = [(k, names.index(k)) for k in CSV_COLUMNS if k in names]
        records = [{k: (cells[j] if j < len(cells) else "") for k, j in keep} for cells in rows]
    except LimitExceeded as exc:
        raise TooLarge(str(exc)) from None
    except (UndecodableText, csv.Error) as exc:
        raise Invalid(str(exc)) from None
    return records


def check_size(count: int) -> None:
    limit = settings.CITYWATCH_INGEST_MAX_READINGS
    if count > limit:
        raise TooLarge(
            _("%(count)s readings in one batch; at most %(max)s (split the batch)")
            % {"count": f"{count:,}", "max": f"{limit:,}"}
        )


# --- the answer ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rejection:
    index: int
    reason: str


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    corrected: int = 0
    rejected: list = field(default_factory=list)
    alarm_transitions: int = 0

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "corrected": self.corrected,
            "rejected": [{"index": r.index, "reason": r.reason} for r in self.rejected],
        }


# --- who may write which stations ----------------------------------------------------------------------
class Writer:
    """The stations a caller may write: ``user`` None (the system), a data feed (its sources' stations)
    or a person (their jurisdiction, with ``monitoring.add_observation``)."""

    def __init__(self, user=None, source=None):
        self.user = user
        self.source = source
        self.feed = user is not None and getattr(user, "role", "") == Role.DATA_FEED and not user.is_superuser
        if user is not None and not self.feed:
            access.require(user, Observation, "add")

    def allowed(self, qs):
        if self.source is not None:
            qs = qs.filter(source=self.source)
        if self.user is None:
            return qs
        if self.feed:
            return qs.filter(source__feed_user=self.user)
        return qs.within(self.user)

    def may_correct(self) -> bool:
        return self.user is None or self.feed or access.can(self.user, Observation, "change")


def _resolve_stations(batch: Batch, rows: np.ndarray, writer: Writer) -> tuple[np.ndarray, dict[int, str]]:
    """Station pks for the given rows (-1 where refused) and the reasons."""
    pks = np.full(len(batch), -1, dtype=np.int64)
    problems: dict[int, str] = {}
    src = batch.source
    wanted = rows.tolist()
    if src:
        row_keys = [(src[i], batch.station[i]) for i in wanted]
    else:  # (the usual batch: no source per row; the distinct ids found without a Python loop per row)
        station = batch.station
        row_keys = list(zip(repeat(None), map(station.__getitem__, wanted)))
    distinct = list(dict.fromkeys(row_keys))
    position = dict(zip(distinct, range(len(distinct)), strict=True))
    key_of_row = np.fromiter(map(position.__getitem__, row_keys), np.int64, len(row_keys))
    key_pk = np.full(len(distinct), -1, dtype=np.int64)
    ext_ids = sorted({k[1] for k in distinct})
    found: dict[str, list[tuple[int, str, bool]]] = {}
    allowed_ids: set[int] = set()
    for start in range(0, len(ext_ids), LOOKUP_CHUNK):
        chunk = ext_ids[start : start + LOOKUP_CHUNK]
        for pk, ext, code in Station.objects.filter(external_id__in=chunk).values_list(
            "pk", "external_id", "source__code"
        ):
            found.setdefault(ext, []).append((pk, code))
        allowed_ids.update(
            writer.allowed(Station.objects.filter(external_id__in=chunk)).values_list("pk", flat=True)
        )
    reasons: dict[int, str] = {}
    for k, (code, ext) in enumerate(distinct):
        candidates = [(pk, c) for pk, c in found.get(ext, ()) if code is None or c == code]
        mine = [pk for pk, _c in candidates if pk in allowed_ids]
        if len(mine) == 1:
            key_pk[k] = mine[0]
        elif len(mine) > 1:
            reasons[k] = _("station id %(id)s is used by several sources; name the source") % {"id": ext}
        elif candidates and writer.feed:
            reasons[k] = _("station %(id)s belongs to another source") % {"id": ext}
        else:
            reasons[k] = _("unknown station %(id)s") % {"id": ext}
    pks[rows] = key_pk[key_of_row]
    if reasons:
        for i, k in zip(wanted, key_of_row.tolist(), strict=True):
            if k in reasons:
                problems[i] = reasons[k]
    return pks, problems


def variable_table() -> dict[str, tuple[int, float, float, str, str, str]]:
    """code → (pk, valid min, valid max, unit, name in Chinese, name in English)."""
    return {
        code: (pk, lo, hi, unit, name_zh, name_en)
        for pk, code, lo, hi, unit, name_zh, name_en in Variable.objects.values_list(
            "pk", "code", "valid_min", "valid_max", "unit", "name_zh", "name_en"
        )
    }


# --- the database side -----------------------------------------------------------------------------------
def _vendor() -> str:
    return connection.vendor


def db_times(epochs: np.ndarray) -> list[str]:
    """Times as the database stores them: SQLite Django's naive-UTC text, PostgreSQL a UTC literal."""
    uniq, inverse = np.unique(epochs, return_inverse=True)
    text = np.datetime_as_string(uniq.astype("datetime64[s]"), unit="s")
    suffix = "+00" if _vendor() == "postgresql" else ""
    formatted = [s.replace("T", " ") + suffix for s in text.tolist()]
    return [formatted[j] for j in inverse.tolist()]


def epoch_sql(column: str) -> str:
    """SQL giving a time column as integer epoch seconds."""
    if _vendor() == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})::bigint"
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def _prepare_staging(cursor) -> None:
    if _vendor() == "postgresql":
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS monitoring_staging (idx integer, station_id bigint, "
            "variable_id bigint, time timestamptz, value double precision, quality smallint) "
            "ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE monitoring_staging")
    else:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS monitoring_staging (idx integer, station_id integer, "
            "variable_id integer, time datetime, value real, quality integer)"
        )
        cursor.execute("DELETE FROM monitoring_staging")


PG_EPOCH = 946_684_800  # PostgreSQL's binary times count microseconds from 2000-01-01 UTC
# One staging row in PostgreSQL's binary COPY format: the field count, then each field's length and value
# (big-endian): idx int4, station_id int8, variable_id int8, time timestamptz (int8 µs), value float8,
# quality int2. NumPy lays out the whole batch at once; no text is formatted per reading.
COPY_ROW = np.dtype(
    [("n", ">i2"), ("l0", ">i4"), ("idx", ">i4"), ("l1", ">i4"), ("station", ">i8"), ("l2", ">i4"),
     ("variable", ">i8"), ("l3", ">i4"), ("time", ">i8"), ("l4", ">i4"), ("value", ">f8"), ("l5", ">i4"),
     ("quality", ">i2")]
)  # fmt: skip
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
COPY_TRAILER = b"\xff\xff"


def copy_binary(idx, station, variable, epochs, value, quality) -> bytes:
    """The staging rows as one binary ``COPY`` payload."""
    rows = np.empty(len(idx), dtype=COPY_ROW)
    rows["n"] = 6
    for k, size in enumerate((4, 8, 8, 8, 8, 2)):
        rows[f"l{k}"] = size
    rows["idx"], rows["station"], rows["variable"] = idx, station, variable
    rows["time"] = (np.asarray(epochs, np.int64) - PG_EPOCH) * 1_000_000
    rows["value"], rows["quality"] = value, quality
    return COPY_HEADER + rows.tobytes() + COPY_TRAILER


def _fill_staging(cursor, idx, station, variable, epochs, value, quality) -> None:
    if _vendor() == "postgresql":
        with cursor.cursor.copy(
            "COPY monitoring_staging (idx, station_id, variable_id, time, value, quality) FROM STDIN "
            "(FORMAT BINARY)"
        ) as copy:
            copy.write(copy_binary(idx, station, variable, epochs, value, quality))
    else:
        rows = zip(
            idx.tolist(),
            station.tolist(),
            variable.tolist(),
            db_times(epochs),
            value.tolist(),
            quality.tolist(),
            strict=True,
        )
        cursor.executemany(
            "INSERT INTO monitoring_staging (idx, station_id, variable_id, time, value, quality) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            list(rows),
        )


STORED = (
    "SELECT s.idx, o.value, o.quality FROM monitoring_staging s JOIN monitoring_observation o "
    "ON o.station_id = s.station_id AND o.variable_id = s.variable_id AND o.time = s.time"
)
INSERT_NEW = (
    "INSERT INTO monitoring_observation (station_id, variable_id, time, value, quality) "
    "SELECT station_id, variable_id, time, value, quality FROM monitoring_staging"
)
INSERT = INSERT_NEW + " WHERE true ON CONFLICT (station_id, variable_id, time) DO NOTHING"


def _arrays(found) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not found:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int16)
    idx, value, quality = zip(*found, strict=True)
    return np.array(idx, np.int64), np.array(value, np.float64), np.array(quality, np.int16)


LIKELY_NEW = (
    "SELECT NOT EXISTS (SELECT 1 FROM (SELECT station_id, min(time) AS first FROM monitoring_staging "
    "GROUP BY station_id) s JOIN monitoring_station st ON st.id = s.station_id "
    "WHERE st.last_seen_at >= s.first)"
)


def _write_staged(cursor, count: int):
    """Insert the staged readings that are new; returns ``(not_new, stored_idx, stored_value,
    stored_quality, inserted)``: the staged rows not inserted, those of them found stored with their stored
    value and quality, and the number inserted.

    PostgreSQL: when every staged reading is newer than its station's last one (a live feed's batch), a
    plain insert is tried first in a savepoint (no speculative insertion: about 40 % less server time than
    ``ON CONFLICT``); a stored reading it meets after all (one the station's last reading did not tell)
    rolls it back. Otherwise, one statement: the insert ``ON CONFLICT DO NOTHING``, returning its keys,
    anti-joined with the staging table, and only the rows it did not insert looked up in the observation
    table (which the statement sees as it was before the insert). SQLite: the stored rows first (one join),
    then the insert."""
    if _vendor() == "postgresql":
        cursor.execute(LIKELY_NEW)
        if cursor.fetchone()[0]:
            try:
                with transaction.atomic():
                    cursor.execute(INSERT_NEW)
                return np.zeros(0, np.int64), *_arrays([]), count
            except IntegrityError:
                pass
        cursor.execute(
            f"WITH ins AS ({INSERT} RETURNING station_id, variable_id, time) "  # noqa: S608
            "SELECT s.idx, o.value, o.quality FROM monitoring_staging s "
            "LEFT JOIN ins ON ins.station_id = s.station_id AND ins.variable_id = s.variable_id "
            "AND ins.time = s.time "
            "LEFT JOIN monitoring_observation o ON o.station_id = s.station_id "
            "AND o.variable_id = s.variable_id AND o.time = s.time "
            "WHERE ins.station_id IS NULL"
        )
        rows = cursor.fetchall()
        not_new = np.array([row[0] for row in rows], np.int64)
        # (a row another writer inserted meanwhile was not inserted here and is not seen: not stored)
        return (not_new, *_arrays([row for row in rows if row[1] is not None]), count - len(not_new))
    cursor.execute(STORED)
    stored = _arrays(cursor.fetchall())
    cursor.execute(INSERT)
    return (stored[0], *stored, cursor.rowcount)


def _touch_stations(cursor, station: np.ndarray, time: np.ndarray) -> None:
    """``last_seen_at`` = the newest reading of each station, when newer than the stored one."""
    if not len(station):
        return
    order = np.lexsort((time, station))
    s, t = station[order], time[order]
    last = np.r_[s[1:] != s[:-1], True]
    s, t = s[last], t[last]
    stamps = db_times(t)
    cursor.executemany(
        "UPDATE monitoring_station SET last_seen_at = %s "
        "WHERE id = %s AND (last_seen_at IS NULL OR last_seen_at < %s)",
        [(ts, pk, ts) for pk, ts in zip(s.tolist(), stamps, strict=True)],
    )


# What other apps do with each batch, in its transaction after its rules: f(station pks, variable pks,
# times (epoch seconds), now) of the readings written (arrays); warnings registers its proposals
# (monitoring imports no app).
AFTER_BATCH: list = []


# --- the function --------------------------------------------------------------------------------------
def ingest(
    batch: Batch,
    *,
    user=None,
    source=None,
    correct: bool = False,
    reason: str = "",
    now: dt.datetime | None = None,
    evaluate: bool = True,
) -> IngestResult:
    """Validate ``batch`` and write it in one transaction; see the module's docstring. ``source`` limits
    the batch to one source's stations; ``correct`` makes every reading a correction; ``evaluate=False``
    skips the rules (history loads)."""
    check_size(len(batch))
    writer = Writer(user, source)
    now = now or timezone.now()
    n = len(batch)
    problems: dict[int, str] = dict(batch.problems)
    live = np.ones(n, dtype=bool)
    if problems:
        live[list(problems)] = False

    # variables, values and times (vectorised over the readings still in)
    variables = variable_table()
    codes = {code: k for k, code in enumerate(variables)}
    var_idx = np.fromiter(map(codes.get, batch.variable, repeat(-1)), np.int64, n)  # (None: -1 too)
    unknown_var = live & (var_idx < 0)
    for i in np.flatnonzero(unknown_var).tolist():
        problems[i] = _("unknown variable %(code)s") % {"code": batch.variable[i]}
    live &= ~unknown_var
    table = list(variables.values())
    var_pk = np.array([row[0] for row in table] + [0], dtype=np.int64)[var_idx]
    lo = np.array([row[1] for row in table] + [0.0])[var_idx]
    hi = np.array([row[2] for row in table] + [0.0])[var_idx]
    value = batch.value
    bad_value = live & ~np.isfinite(value)
    for i in np.flatnonzero(bad_value).tolist():
        problems[i] = _("not a finite number (NaN or infinity)")
    live &= ~bad_value
    out_of_range = live & ((value < lo) | (value > hi))
    chinese = (translation.get_language() or "").startswith("zh")
    for i in np.flatnonzero(out_of_range).tolist():
        row = table[var_idx[i]]
        # the variable's name in the reader's language (a person reads it: never the code)
        problems[i] = _(
            "%(value)s %(unit)s is outside the valid range of %(name)s (%(min)s to %(max)s %(unit)s)"
        ) % {
            "value": f"{value[i]:g}",
            "unit": row[3],
            "name": row[4] if chinese else row[5],
            "min": f"{row[1]:g}",
            "max": f"{row[2]:g}",
        }
    live &= ~out_of_range
    future = int(now.timestamp()) + settings.CITYWATCH_INGEST_FUTURE_MINUTES * 60
    too_early = live & (batch.time < 0)
    for i in np.flatnonzero(too_early).tolist():
        problems[i] = _("time before 1970")
    too_late = live & (batch.time > future)
    for i in np.flatnonzero(too_late).tolist():
        problems[i] = _("time more than %(minutes)s minutes in the future") % {
            "minutes": settings.CITYWATCH_INGEST_FUTURE_MINUTES
        }
    live &= ~(too_early | too_late)
    corrections = batch.correction | bool(correct)
    if corrections.any() and not writer.may_correct():
        for i in np.flatnonzero(live & corrections).tolist():
            problems[i] = _("you may not correct readings")
        live &= ~corrections

    # stations (one lookup per distinct id)
    station_pk, station_problems = _resolve_stations(batch, np.flatnonzero(live), writer)
    problems.update(station_problems)
    live &= station_pk >= 0

    # the same key twice in the batch: the first wins; an equal later one is a duplicate
    rows = np.flatnonzero(live)
    duplicates = 0
    if len(rows) > 1:
        order = rows[np.lexsort((rows, batch.time[rows], var_pk[rows], station_pk[rows]))]
        s, v, t = station_pk[order], var_pk[order], batch.time[order]
        same = np.r_[False, (s[1:] == s[:-1]) & (v[1:] == v[:-1]) & (t[1:] == t[:-1])]
        if same.any():
            group_first = order[np.maximum.accumulate(np.where(~same, np.arange(len(order)), 0))]
            later = order[same]
            firsts = group_first[same]
            equal = (value[later] == value[firsts]) & (batch.quality[later] == batch.quality[firsts])
            duplicates += int(equal.sum())
            for i in later[~equal].tolist():
                problems[i] = _("another value for the same station, variable and time earlier in this batch")
            live[later] = False
            rows = np.flatnonzero(live)

    result = IngestResult(rejected=[Rejection(i, problems[i]) for i in sorted(problems)])
    if not len(rows):
        result.duplicates = duplicates
        rejects.record(batch, result.rejected, source=source, writer=writer, station_pk=station_pk, now=now)
        return result

    with transaction.atomic():
        if _vendor() == "postgresql":
            from citywatch.monitoring.actions import partitions

            partitions.ensure_for(int(batch.time[rows].min()), int(batch.time[rows].max()))
        with connection.cursor() as cursor:
            _prepare_staging(cursor)
            staged = (station_pk[rows], var_pk[rows], batch.time[rows], value[rows], batch.quality[rows])
            _fill_staging(cursor, rows, *staged)
            not_new, stored_idx, stored_value, stored_quality, inserted = _write_staged(cursor, len(rows))
            new_mask = live.copy()
            new_mask[not_new] = False
            expected = int(new_mask.sum())
            # a reading inserted by another writer meanwhile (not inserted here, or no longer found) is
            # a duplicate
            result.accepted = min(inserted, expected)
            duplicates += expected - result.accepted + len(not_new) - len(stored_idx)

            wants = corrections[stored_idx]
            same = (stored_value == value[stored_idx]) & (
                (stored_quality == batch.quality[stored_idx]) | wants
            )
            duplicates += int(same.sum())
            differs = ~same
            for i in stored_idx[differs & ~wants].tolist():
                result.rejected.append(
                    Rejection(
                        i,
                        _(
                            "a different value is stored for this station, variable and time; "
                            "send it as a correction"
                        ),
                    )
                )
            fix = differs & wants
            fixed_idx = stored_idx[fix]
            if len(fixed_idx):
                new_quality = np.where(
                    batch.quality[fixed_idx] == Quality.GOOD, Quality.CORRECTED, batch.quality[fixed_idx]
                )
                fix_times = db_times(batch.time[fixed_idx])
                cursor.executemany(
                    "UPDATE monitoring_observation SET value = %s, quality = %s "
                    "WHERE station_id = %s AND variable_id = %s AND time = %s",
                    list(
                        zip(
                            value[fixed_idx].tolist(),
                            new_quality.tolist(),
                            station_pk[fixed_idx].tolist(),
                            var_pk[fixed_idx].tolist(),
                            fix_times,
                            strict=True,
                        )
                    ),
                )
                actor = user if user is not None and user.is_authenticated else None
                ObservationCorrection.objects.bulk_create(
                    ObservationCorrection(
                        station_id=s_,
                        variable_id=v_,
                        time=dt.datetime.fromtimestamp(t_, dt.UTC),
                        old_value=ov,
                        new_value=nv,
                        old_quality=oq,
                        new_quality=nq,
                        reason=reason[:500],
                        corrected_by=actor,
                    )
                    for s_, v_, t_, ov, nv, oq, nq in zip(
                        station_pk[fixed_idx].tolist(),
                        var_pk[fixed_idx].tolist(),
                        batch.time[fixed_idx].tolist(),
                        stored_value[fix].tolist(),
                        value[fixed_idx].tolist(),
                        stored_quality[fix].tolist(),
                        new_quality.tolist(),
                        strict=True,
                    )
                )
                result.corrected = len(fixed_idx)
            written = np.concatenate([np.flatnonzero(new_mask), fixed_idx])
            _touch_stations(cursor, station_pk[written], batch.time[written])
        if evaluate and len(written):
            from citywatch.monitoring.actions import rules

            result.alarm_transitions = rules.evaluate_batch(
                station_pk[written], var_pk[written], batch.time[written], now=now
            )
            for after_batch in AFTER_BATCH:
                after_batch(station_pk[written], var_pk[written], batch.time[written], now)
    result.duplicates = duplicates
    result.rejected.sort(key=lambda r: r.index)
    rejects.record(batch, result.rejected, source=source, writer=writer, station_pk=station_pk, now=now)
    return result


def ingest_records(records: Iterable, **kwargs) -> IngestResult:
    """``ingest(Batch.from_records(records), **kwargs)``."""
    source_code = kwargs.pop("source_code", None)
    return ingest(Batch.from_records(list(records), source=source_code), **kwargs)


# --- a source's feed account (``citywatch token create --source CODE``) ---------------------------------
def feed_account(source_code: str, username: str | None = None):
    """The ``data_feed`` user whose tokens write ``source_code``'s stations: the source's own, or one made
    (``username`` or ``feed-<code>``, jurisdiction the source's area) and recorded on the source.
    ValueError when the source is unknown or the username belongs to a person."""
    from citywatch.core import actions as core_actions
    from citywatch.core.models import User
    from citywatch.monitoring.models import DataSource

    with transaction.atomic():
        source = (
            DataSource.objects.select_for_update(of=("self",))
            .select_related("feed_user", "area")
            .filter(code=source_code)
            .first()
        )
        if source is None:
            raise ValueError(f"no data source with code {source_code!r}")
        current = source.feed_user
        if current is not None and (username is None or username == current.username):
            return current
        username = username or f"feed-{source.code}"
        existing = User.objects.filter(username=username).first()
        if existing is not None and existing.role != Role.DATA_FEED:
            raise ValueError(f"user {username!r} is not a data feed account")
        user, _state = core_actions.save_user(
            username=username, role=Role.DATA_FEED, jurisdiction=source.area, must_change_password=False
        )
        source.feed_user = user
        source.save(update_fields=["feed_user", "updated_at"])
        return user
