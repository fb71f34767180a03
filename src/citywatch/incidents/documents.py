"""The documents of a situation report: HTML, and from it PDF (WeasyPrint; the CJK font, Noto CJK from
``fonts-noto-cjk`` found through fontconfig, is embedded as a subset) and DOCX (python-docx). Written in
the request's language; the timeline copies the incident log, which is in the site's language.

``FORMATS`` names each downloadable format's content type, file extension and renderer (the API serves
them as ``/incidents/{id}/sitreps/{n}.pdf`` and ``.docx``).
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.utils.translation import gettext, gettext_noop

from citywatch.incidents.models import Sitrep, SitrepStatus

# The document's labels, marked for makemessages (their Chinese lives in the catalogue); ``t`` renders
# one in the request's language.
LABELS = (
    gettext_noop("Incident information report No. %(number)s"),
    gettext_noop("EXERCISE"),
    gettext_noop("This report concerns an exercise (drill), not a real incident."),
    gettext_noop("DRAFT"),
    gettext_noop("Version %(version)s"),
    gettext_noop("Issued %(time)s by %(user)s"),
    gettext_noop("Not issued"),
    gettext_noop("Incident"),
    gettext_noop("Category"),
    gettext_noop("Type"),
    gettext_noop("Severity"),
    gettext_noop("Location"),
    gettext_noop("Area"),
    gettext_noop("Status"),
    gettext_noop("Reported at"),
    gettext_noop("Verified at"),
    gettext_noop("Responding at"),
    gettext_noop("Summary"),
    gettext_noop("Timeline"),
    gettext_noop("Forces deployed"),
    gettext_noop("Supplies deployed"),
    gettext_noop("Casualties"),
    gettext_noop("Needs"),
    gettext_noop("Next steps"),
    gettext_noop("Time"),
    gettext_noop("Entry"),
    gettext_noop("Team"),
    gettext_noop("Requested"),
    gettext_noop("Approved"),
    gettext_noop("Shipped"),
    gettext_noop("Received"),
    gettext_noop("Item"),
    gettext_noop("Depot"),
    gettext_noop("Deaths"),
    gettext_noop("Serious injuries"),
    gettext_noop("Injuries"),
    gettext_noop("Missing"),
    gettext_noop("None."),
    gettext_noop("(outside the city)"),
)


def t(msgid: str, **params) -> str:
    """A label of the document in the active language, filled with ``params``."""
    text = gettext(msgid)
    return text % params if params else text


def _time(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None or timezone.is_naive(parsed):
            return value  # edited by hand ("14:05", "约 14 时"): shown as written
        value = parsed
    if not isinstance(value, datetime.datetime):
        return str(value)  # a number typed into the time column
    try:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, ValueError):  # year 1 or 9999 and an offset: no local time to show
        return value.isoformat()


def content(sitrep: Sitrep) -> dict:
    """Everything a document shows, as plain strings (shared by PDF and DOCX)."""
    incident = sitrep.incident
    place = " · ".join(incident.area.place_names()) or incident.area.name
    area = place + (" " + t("(outside the city)") if incident.outside_city else "")
    facts = [
        (t("Incident"), incident.title),
        (t("Category"), str(incident.get_category_display())),
        (t("Type"), str(incident.get_type_display())),
        (t("Severity"), str(incident.get_severity_display())),
        (t("Location"), f"{incident.location.x:.6f}, {incident.location.y:.6f}"),
        (t("Area"), area),
        (t("Status"), str(incident.get_status_display())),
        (t("Reported at"), _time(incident.reported_at)),
        (t("Verified at"), _time(incident.verified_at)),
        (t("Responding at"), _time(incident.responding_at)),
    ]
    if sitrep.status == SitrepStatus.ISSUED:
        who = sitrep.issued_by.display_name if sitrep.issued_by else "—"
        issued = t("Issued %(time)s by %(user)s", time=_time(sitrep.issued_at), user=who)
    else:
        issued = t("Not issued")
    return {
        "title": t("Incident information report No. %(number)s", number=sitrep.number),
        "subtitle": f"{t('Version %(version)s', version=sitrep.version)} · {issued}",
        "incident_title": incident.title,
        "exercise": sitrep.exercise,
        "draft": sitrep.status != SitrepStatus.ISSUED,
        "facts": [(k, v) for k, v in facts if v],
        "summary": sitrep.summary,
        "timeline": [(_time(row.get("time")), str(row.get("text", ""))) for row in sitrep.timeline],
        "forces": [
            (str(row.get("team", "")), str(row.get("status_label") or row.get("status", "")))
            for row in sitrep.forces
        ],
        "supplies": [
            (
                f"{row.get('item', '')}",
                str(row.get("depot", "")),
                *(
                    f"{row.get(k, '')} {row.get('unit', '')}".strip()
                    for k in ("requested", "approved", "shipped", "received")
                ),
            )
            for row in sitrep.supplies
        ],
        "casualties": [
            (t("Deaths"), sitrep.deaths),
            (t("Serious injuries"), sitrep.serious_injuries),
            (t("Injuries"), sitrep.injuries),
            (t("Missing"), sitrep.missing),
        ],
        "needs": sitrep.needs,
        "next_steps": sitrep.next_steps,
    }


CSS = """
@page { size: A4; margin: 20mm 18mm;
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 9pt; } }
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "WenQuanYi Zen Hei", serif; font-size: 11pt;
       line-height: 1.5; }
h1 { text-align: center; color: #b00; font-size: 20pt; margin: 0 0 4pt; }
.sub { text-align: center; font-size: 9pt; color: #555; margin-bottom: 10pt; }
h2 { font-family: "Noto Sans CJK SC", sans-serif; font-size: 13pt; border-bottom: 1px solid #b00;
     margin: 14pt 0 4pt; }
table { border-collapse: collapse; width: 100%; font-size: 10pt; }
td, th { border: 1px solid #999; padding: 2pt 4pt; vertical-align: top; text-align: left; }
th { background: #eee; }
.facts th { width: 22%; }
.banner { border: 2pt solid #c00; color: #c00; font-size: 16pt; font-weight: bold; text-align: center;
          padding: 4pt; margin-bottom: 8pt; font-family: "Noto Sans CJK SC", sans-serif; }
.watermark { position: fixed; top: 95mm; left: 0; width: 100%; text-align: center; font-size: 110pt;
             color: rgba(200, 0, 0, 0.12); transform: rotate(-30deg);
             font-family: "Noto Sans CJK SC", sans-serif; }
.text { white-space: pre-wrap; }
"""


def _table(header: list[str], rows: list[tuple]) -> str:
    if not rows:
        return f"<p>{escape(t('None.'))}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _text(value: str) -> str:
    return f'<p class="text">{escape(value)}</p>' if value.strip() else f"<p>{escape(t('None.'))}</p>"


def render_html(sitrep: Sitrep) -> str:
    c = content(sitrep)
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8">',
        f"<title>{escape(c['title'])} {escape(c['incident_title'])}</title><style>{CSS}</style></head><body>",
    ]
    if c["draft"]:
        parts.append(f'<div class="watermark">{escape(t("DRAFT"))}</div>')
    if c["exercise"]:
        parts.append(
            f'<div class="banner">{escape(t("EXERCISE"))} — '
            f"{escape(t('This report concerns an exercise (drill), not a real incident.'))}</div>"
        )
    parts.append(f"<h1>{escape(c['title'])}</h1>")
    draft = f" · {escape(t('DRAFT'))}" if c["draft"] else ""
    parts.append(f'<div class="sub">{escape(c["subtitle"])}{draft}</div>')
    parts.append(
        '<table class="facts">'
        + "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in c["facts"])
        + "</table>"
    )
    parts.append(f"<h2>{escape(t('Summary'))}</h2>{_text(c['summary'])}")
    parts.append(f"<h2>{escape(t('Timeline'))}</h2>" + _table([t("Time"), t("Entry")], c["timeline"]))
    parts.append(f"<h2>{escape(t('Forces deployed'))}</h2>" + _table([t("Team"), t("Status")], c["forces"]))
    parts.append(
        f"<h2>{escape(t('Supplies deployed'))}</h2>"
        + _table(
            [t("Item"), t("Depot"), t("Requested"), t("Approved"), t("Shipped"), t("Received")], c["supplies"]
        )
    )
    parts.append(
        f"<h2>{escape(t('Casualties'))}</h2>"
        + _table([k for k, _ in c["casualties"]], [tuple(v for _, v in c["casualties"])])
    )
    parts.append(f"<h2>{escape(t('Needs'))}</h2>{_text(c['needs'])}")
    parts.append(f"<h2>{escape(t('Next steps'))}</h2>{_text(c['next_steps'])}")
    parts.append("</body></html>")
    return "".join(parts)


def render_pdf(sitrep: Sitrep) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(sitrep)).write_pdf()


def render_docx(sitrep: Sitrep) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    c = content(sitrep)
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Noto Serif CJK SC"
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Serif CJK SC")
    doc.core_properties.title = f"{c['title']} {c['incident_title']}"
    red = RGBColor(0xBB, 0, 0)
    if c["draft"]:
        # A label in the header of every page (python-docx has no watermark API).
        p = doc.sections[0].header.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = p.add_run(t("DRAFT"))
        run.bold, run.font.color.rgb, run.font.size = True, red, Pt(16)
    if c["exercise"]:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(
            f"{t('EXERCISE')} — {t('This report concerns an exercise (drill), not a real incident.')}"
        )
        run.bold, run.font.color.rgb, run.font.size = True, red, Pt(14)
    heading = doc.add_heading(c["title"], level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph(c["subtitle"] + (f" · {t('DRAFT')}" if c["draft"] else ""))
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def table(header, rows):
        if not rows:
            doc.add_paragraph(t("None."))
            return
        tbl = doc.add_table(rows=1, cols=len(header))
        tbl.style = "Table Grid"
        for cell, text in zip(tbl.rows[0].cells, header, strict=True):
            cell.text = str(text)
        for row in rows:
            for cell, text in zip(tbl.add_row().cells, row, strict=True):
                cell.text = str(text)

    def text(value):
        doc.add_paragraph(value if value.strip() else t("None."))

    facts = doc.add_table(rows=0, cols=2)
    facts.style = "Table Grid"
    for k, v in c["facts"]:
        cells = facts.add_row().cells
        cells[0].text, cells[1].text = k, v
    doc.add_heading(t("Summary"), level=1)
    text(c["summary"])
    doc.add_heading(t("Timeline"), level=1)
    table([t("Time"), t("Entry")], c["timeline"])
    doc.add_heading(t("Forces deployed"), level=1)
    table([t("Team"), t("Status")], c["forces"])
    doc.add_heading(t("Supplies deployed"), level=1)
    table([t("Item"), t("Depot"), t("Requested"), t("Approved"), t("Shipped"), t("Received")], c["supplies"])
    doc.add_heading(t("Casualties"), level=1)
    table([k for k, _ in c["casualties"]], [tuple(v for _, v in c["casualties"])])
    doc.add_heading(t("Needs"), level=1)
    text(c["needs"])
    doc.add_heading(t("Next steps"), level=1)
    text(c["next_steps"])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class Format:
    content_type: str
    extension: str
    render: Callable[[Sitrep], bytes]


FORMATS = {
    "pdf": Format("application/pdf", "pdf", render_pdf),
    "docx": Format(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", render_docx
    ),
}


def filename(sitrep: Sitrep, fmt: Format) -> str:
    return f"sitrep-{sitrep.incident_id}-{sitrep.number}-v{sitrep.version}.{fmt.extension}"
