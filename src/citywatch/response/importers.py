"""Plans in and out as spreadsheets (XLSX; CSV too): ``citywatch import plans FILE…``, the plan pages'
upload and ``POST /api/v1/plans/import``; ``write_xlsx`` for the export.

One row per checklist action; the plan's columns repeat on each row (a level without actions is one row
with the action cells empty)::

    hazard | plan | area_code | rule | level | condition | action | organisation | minutes
    灾种   | 预案 | 区域代码  | 提议规则 | 级别 | 启动条件 | 行动 | 责任单位 | 时限（分钟）

Headers may be written in English or Chinese. Every row of every file is read and checked first (files
bounded by ``core.limits`` through ``resources.exchange.read_table``); any problem and nothing is written;
then each plan is written as a new revision (``actions.save_plan``), in one transaction. A plan whose
content did not change gets no new revision.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from citywatch.core import access
from citywatch.core.errors import ActionError
from citywatch.core.importing import Importer, ImportFailed, ImportReport, Problem, check_source, register
from citywatch.core.limits import LimitExceeded
from citywatch.core.models import AdminArea
from citywatch.core.models.base import scope_of
from citywatch.resources.exchange import UnreadableFile, neutralise, read_table, unneutralise
from citywatch.response import actions
from citywatch.response.choices import ROMAN, ProposalRule, hazard_label
from citywatch.response.models import Plan

EXTENSIONS = (".xlsx", ".csv")
COLUMNS = OrderedDict(
    [
        ("hazard", ("灾种",)),
        ("plan", ("预案", "预案名称")),
        ("area_code", ("区域代码", "区划代码")),
        ("rule", ("提议规则",)),
        ("level", ("级别", "响应级别")),
        ("condition", ("启动条件",)),
        ("action", ("行动", "措施")),
        ("organisation", ("责任单位",)),
        ("minutes", ("时限（分钟）", "时限(分钟)", "时限")),
    ]
)
REQUIRED = ("hazard", "plan", "area_code", "level")
HEADERS_ZH = ["灾种", "预案", "区域代码", "提议规则", "级别", "启动条件", "行动", "责任单位", "时限（分钟）"]


class FileRejected(ImportFailed):
    def __init__(self, report: ImportReport, status: int):
        super().__init__(report)
        self.status = status


def _columns(headers: list[str]) -> dict[str, int]:
    found = {}
    for index, header in enumerate(headers):
        text = header.strip()
        for name, aliases in COLUMNS.items():
            if text.lower() == name or text in aliases:
                found.setdefault(name, index)
    return found


def _cell(cells: list, index: int | None):
    if index is None or index >= len(cells):
        return ""
    value = cells[index]
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unneutralise(value) if isinstance(value, str) else value


def read_specs(name: str, data: bytes, user, report: ImportReport) -> list[actions.PlanSpec]:
    """The plans a file describes, every problem in ``report``."""
    try:
        table = read_table(name, data)
    except LimitExceeded as exc:
        report.problems.append(Problem(name, None, "", str(exc)))
        raise FileRejected(report, 413) from None
    except UnreadableFile as exc:
        report.problems.append(Problem(name, None, "", str(exc)))
        raise FileRejected(report, 422) from None
    columns = _columns(table.headers)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        report.problems.append(
            Problem(name, 1, "", _("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
        )
        return []
    scope = scope_of(user) if user is not None else None
    areas: dict[str, AdminArea | None] = {}
    plans: dict[tuple[str, str], actions.PlanSpec] = OrderedDict()
    for number, cells, _point in table.rows:

        def problem(column: str, message: str, number=number):
            report.problems.append(Problem(name, number, column, message))

        try:
            hazard = actions.read_hazard(_cell(cells, columns["hazard"]))
        except ActionError as exc:
            problem("hazard", str(exc))
            continue
        code = str(_cell(cells, columns["area_code"])).strip()
        if code not in areas:
            areas[code] = AdminArea.objects.filter(code=code).first()
        area = areas[code]
        if area is None:
            problem("area_code", _("no area with code %(code)s") % {"code": repr(code[:20])})
            continue
        if scope is not None and not scope.covers(area.path):
            problem("area_code", _("%(area)s lies outside your jurisdiction") % {"area": area.name})
            continue
        try:
            rule = actions.read_rule(_cell(cells, columns.get("rule")) or ProposalRule.NONE)
            level = actions.read_level(_cell(cells, columns["level"]))
        except ActionError as exc:
            problem("level", str(exc))
            continue
        plan_name = str(_cell(cells, columns["plan"])).strip()
        spec = plans.get((hazard, code))
        if spec is None:
            spec = plans[(hazard, code)] = actions.PlanSpec(hazard, plan_name, area, rule, [])
        elif spec.rule != rule or spec.name != plan_name:
            problem("rule", _("the plan's name and rule must be the same on every row of the plan"))
            continue
        lv = next((lv for lv in spec.levels if lv.level == level), None)
        if lv is None:
            lv = actions.LevelSpec(level)
            spec.levels.append(lv)
        condition = str(_cell(cells, columns.get("condition"))).strip()
        if condition and not lv.condition:
            lv.condition = condition
        title = str(_cell(cells, columns.get("action"))).strip()
        organisation = str(_cell(cells, columns.get("organisation"))).strip()
        raw_minutes = _cell(cells, columns.get("minutes"))
        if not (title or organisation or raw_minutes != ""):
            continue
        try:
            minutes = actions.read_minutes(raw_minutes)
        except ActionError as exc:
            problem("minutes", str(exc))
            continue
        lv.actions.append(actions.ActionSpec(title, organisation, int(minutes)))
    for spec in plans.values():
        try:
            actions.clean_spec(spec)
        except ActionError as exc:
            for message in exc.details or [str(exc)]:
                report.problems.append(Problem(name, None, "", f"{spec.name}: {message}"))
    return list(plans.values())


def import_sources(
    sources: list[tuple[str, bytes]], *, user, dry_run: bool = False, demo: bool | None = None
):
    """Read every file, then write every plan in one transaction (or nothing). ``user=None``: the
    operator (every area, no permission check)."""
    report = ImportReport(kind="plans", dry_run=dry_run)
    if user is not None:
        access.require(user, Plan, "add")
        access.require(user, Plan, "change")
    specs = []
    for name, data in sources:
        specs += read_specs(name, data, user, report)
    if report.problems:
        raise ImportFailed(report)
    with transaction.atomic():
        for spec in specs:
            spec.demo = demo
            # The revision's note is a shared record: the site's language, not the importer's session's.
            with translation.override(settings.LANGUAGE_CODE):
                note = _("imported")
            _plan, outcome = actions.save_plan(user, spec, note)
            setattr(report, outcome, getattr(report, outcome) + 1)
        if dry_run:
            transaction.set_rollback(True)
    return report


def import_upload(upload, *, user, dry_run: bool = False) -> ImportReport:
    report = ImportReport(kind="plans", dry_run=dry_run)
    name = Path(upload.name or "upload").name
    limit = settings.CITYWATCH_MAX_UPLOAD_BYTES
    status = check_source(name, upload.size or 0, EXTENSIONS, limit, report)
    if status:
        raise FileRejected(report, status)
    upload.seek(0)
    data = upload.read(limit + 1)
    status = check_source(name, len(data), EXTENSIONS, limit, report)
    if status:
        raise FileRejected(report, status)
    return import_sources([(name, data)], user=user, dry_run=dry_run)


@register
class PlanImporter(Importer):
    kind = "plans"
    help = "emergency plans: one row per checklist action (.xlsx, .csv)"
    extensions = EXTENSIONS

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="label the plans as demo content")

    def run(self, paths, *, dry_run=False, demo=False, **options):
        demo = True if demo else None
        report = ImportReport(kind=self.kind, dry_run=dry_run)
        sources = []
        for path in map(Path, paths):
            if not path.is_file():
                report.problems.append(Problem(path.name, None, "", _("no such file")))
                continue
            status = check_source(
                path.name, path.stat().st_size, EXTENSIONS, settings.CITYWATCH_MAX_IMPORT_BYTES, report
            )
            if status is None:
                sources.append((path.name, path.read_bytes()))
        if report.problems:
            raise ImportFailed(report)
        return import_sources(sources, user=None, dry_run=dry_run, demo=demo)


def rows_of(plan: Plan) -> list[list]:
    spec = actions.spec_of(plan)
    rows = []
    for lv in spec.levels:
        base = [plan.hazard, plan.name, plan.area.code, plan.rule, ROMAN[lv.level]]
        if not lv.actions:
            rows.append([*base, lv.condition, "", "", ""])
        for n, action in enumerate(lv.actions):
            rows.append(
                [*base, lv.condition if n == 0 else "", action.title, action.organisation, action.minutes]
            )
    return rows


def write_xlsx(plans) -> bytes:
    """The plans' current revisions, one row per action, Chinese headers (re-imported as they are)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("预案")
    sheet.freeze_panes = "A2"
    from openpyxl.cell import WriteOnlyCell

    header = []
    for name in HEADERS_ZH:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for plan in plans:
        for row in rows_of(plan):
            sheet.append(
                [neutralise(ILLEGAL_CHARACTERS_RE.sub("", v)) if isinstance(v, str) else v for v in row]
            )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def export_name(plans) -> str:
    plans = list(plans)
    if len(plans) == 1:
        return f"plan-{plans[0].hazard}-{plans[0].area.code}.xlsx"
    return "plans.xlsx"


__all__ = ["import_sources", "import_upload", "hazard_label", "write_xlsx"]
