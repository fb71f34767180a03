"""``citywatch import observations FILE…``: a department's readings from CSV or XLSX files, long or wide
(docs/data-formats.md, "Observations"), through the one ingestion function.

* **long**: one reading per row — ``station``, ``variable``, ``time``, ``value`` (optional ``quality``,
  ``source``); Chinese headers 站点/站号, 要素/监测要素, 时间/观测时间, 数值/值/观测值, 质量, 数据源.
* **wide**: one row per station and time, one column per variable named by its code or name (``rain``,
  ``water_level``, 降雨量, 水位, …; a header may add the unit in brackets, ``rain (mm)``, 水位(m)) —
  ``station`` and ``time`` as above. The long form's variable may be a name too. Empty cells are no reading.

Times carry an offset (``2024-06-01T08:00:00+08:00``) unless ``--tz Asia/Shanghai`` says how to read
times without one (spreadsheet date cells have none). Like every importer, every row is checked first and
the files are written in one transaction or not at all (``--keep-going`` writes the good readings and
reports the rest); ``--dry-run`` checks and counts.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from citywatch.core.importing import Importer, ImportFailed, ImportReport, Problem, check_file, register
from citywatch.core.limits import ImportLimits, LimitExceeded
from citywatch.monitoring.actions.ingest import Batch, ingest, variable_table

ALIASES = {
    "station": ("station", "station_id", "站点", "站号", "站点编号", "测站编码"),
    "variable": ("variable", "要素", "监测要素"),
    "time": ("time", "datetime", "时间", "观测时间", "监测时间"),
    "value": ("value", "数值", "值", "观测值", "监测值"),
    "quality": ("quality", "质量", "质量标志"),
    "source": ("source", "数据源", "数据源编码"),
}
UNIT_SUFFIX = re.compile(r"\s*[\(（\[].*[\)）\]]\s*$")


class _Rollback(Exception):
    pass


def _column(headers: list[str], name: str) -> int | None:
    wanted = {a.lower() for a in ALIASES[name]}
    for j, header in enumerate(headers):
        if header.strip().lower() in wanted:
            return j
    return None


def _time(cell, zone) -> str | dt.datetime:
    if isinstance(cell, dt.datetime):
        moment = cell
    elif isinstance(cell, str):
        text = cell.strip()
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return text  # the ingestion says why it is not a time
    else:
        return "" if cell is None else str(cell)
    if moment.tzinfo is None and zone is not None:
        moment = moment.replace(tzinfo=zone)
    return moment


@register
class ObservationsImporter(Importer):
    kind = "observations"
    help = (
        "readings from CSV/XLSX files, long (station, variable, time, value) or wide (a column per variable)"
    )
    extensions = (".csv", ".xlsx")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--source", help="source code: the files hold only this source's stations")
        parser.add_argument("--tz", help="time zone of times written without an offset, e.g. Asia/Shanghai")
        parser.add_argument("--correct", action="store_true", help="readings replace stored different values")
        parser.add_argument(
            "--keep-going", action="store_true", help="write the good readings, report the rest"
        )

    def run(self, paths: list[Path], *, dry_run: bool = False, **options) -> ImportReport:
        from citywatch.monitoring.models import DataSource
        from citywatch.resources.exchange import UnreadableFile, read_table

        report = ImportReport(kind=self.kind, dry_run=dry_run)
        source = None
        if options.get("source"):
            source = DataSource.objects.filter(code=options["source"]).first()
            if source is None:
                report.problems.append(
                    Problem("--source", None, "", _("no data source %(code)s") % {"code": options["source"]})
                )
                raise ImportFailed(report)
        zone = None
        if options.get("tz"):
            try:
                zone = zoneinfo.ZoneInfo(options["tz"])
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                report.problems.append(
                    Problem("--tz", None, "", _("unknown time zone %(tz)s") % {"tz": options["tz"]})
                )
                raise ImportFailed(report) from None
        codes = variable_names()
        limits = ImportLimits.current()
        batches = []  # (file name, records, where: list of (row, column))
        for path in paths:
            if not check_file(path, self.extensions, report):
                continue
            try:
                table = read_table(path.name, path.read_bytes(), limits)
            except (UnreadableFile, LimitExceeded) as exc:
                report.problems.append(Problem(path.name, None, "", str(exc)))
                continue
            records, where = self._records(path.name, table, codes, zone, report)
            if records is not None:
                batches.append((path.name, records, where))
        if report.problems:
            raise ImportFailed(report)

        keep_going = bool(options.get("keep_going"))
        chunk = settings.CITYWATCH_INGEST_MAX_READINGS
        try:
            with transaction.atomic():
                for name, records, where in batches:
                    for start in range(0, len(records), chunk):
                        part = records[start : start + chunk]
                        result = ingest(
                            Batch.from_records(part), source=source, correct=bool(options.get("correct"))
                        )
                        report.created += result.accepted
                        report.unchanged += result.duplicates
                        report.updated += result.corrected
                        for rejection in result.rejected:
                            row, column = where[start + rejection.index]
                            report.problems.append(Problem(name, row, column, rejection.reason))
                if (report.problems and not keep_going) or dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        naive = _("time without a UTC offset (write it as 2024-06-01T08:00:00+08:00)")
        if zone is None and any(p.message == naive for p in report.problems):
            report.problems.append(
                Problem(
                    "--tz",
                    None,
                    "",
                    _("times written without an offset: name their zone with --tz Asia/Shanghai"),
                )
            )
        if report.problems and not keep_going:
            raise ImportFailed(report)
        if report.problems:
            report.notes.extend(str(p) for p in report.problems)
            report.notes.append(_("%(count)s reading(s) refused") % {"count": len(report.problems)})
            report.problems = []
        return report

    def _records(self, name, table, codes, zone, report):
        headers = table.headers
        station = _column(headers, "station")
        time = _column(headers, "time")
        if station is None or time is None:
            report.problems.append(Problem(name, 1, "", _("the header needs a station and a time column")))
            return None, None
        variable, value = _column(headers, "variable"), _column(headers, "value")
        quality, source = _column(headers, "quality"), _column(headers, "source")
        records, where = [], []

        def cell(cells, j):
            return cells[j] if j is not None and j < len(cells) else None

        if variable is not None and value is not None:  # long
            for number, cells, _geometry in table.rows:
                records.append(
                    {
                        "station": _text(cell(cells, station)),
                        "variable": _variable(_text(cell(cells, variable)), codes),
                        "time": _time(cell(cells, time), zone),
                        "value": cell(cells, value),
                        "quality": cell(cells, quality),
                        "source": _text(cell(cells, source)),
                    }
                )
                where.append((number, ""))
            return records, where
        wide = [(j, UNIT_SUFFIX.sub("", h).strip().lower()) for j, h in enumerate(headers)]
        wide = [(j, codes[code]) for j, code in wide if code in codes]
        if not wide:
            report.problems.append(
                Problem(
                    name, 1, "", _("no variable and value columns, and no column named by a variable code")
                )
            )
            return None, None
        for number, cells, _geometry in table.rows:
            for j, code in wide:
                raw = cell(cells, j)
                if raw is None or (isinstance(raw, str) and not raw.strip()):
                    continue
                records.append(
                    {
                        "station": _text(cell(cells, station)),
                        "variable": code,
                        "time": _time(cell(cells, time), zone),
                        "value": raw,
                        "quality": cell(cells, quality),
                        "source": _text(cell(cells, source)),
                    }
                )
                where.append((number, headers[j]))
        return records, where


def variable_names() -> dict[str, str]:
    """A variable's code, Chinese name and English name (lower case) → its code: a department's file names
    its columns and variables as its people read them (降雨量, 水位), not only by CityWatch's codes."""
    names = {}
    for code, (_pk, _lo, _hi, _unit, name_zh, name_en) in variable_table().items():
        for name in (name_en, name_zh, code):
            if name:
                names[name.strip().lower()] = code
    return names


def _variable(text, names):
    """The code of a variable written by code or name; anything else as written (the ingestion refuses it
    as an unknown variable)."""
    if text is None:
        return None
    return names.get(text.lower(), text)


def _text(value):
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
