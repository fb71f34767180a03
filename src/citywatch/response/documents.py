"""The timing report of a response — for a drill, the drill report (演练评估): the chain warning →
proposal → start, and each checklist action against the plan's time limit, with a score. HTML, and from
it PDF with WeasyPrint, in the style of the situation reports (``incidents.documents``: the same CSS,
table helper and CJK fonts). Written in the request's language."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from citywatch.incidents.documents import CSS
from citywatch.response import queries
from citywatch.response.choices import ROMAN, ActionStatus, EventKind
from citywatch.response.models import Response


def _table(header: list[str], rows: list[tuple]) -> str:
    if not rows:
        none = _("None.")
        return f"<p>{escape(none)}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _time(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _minutes(start, end) -> str:
    if not start or not end:
        return ""
    return f"{(end - start).total_seconds() / 60:.1f}"


@dataclass(frozen=True)
class Scored:
    rows: list[tuple]
    on_time: int
    late: int
    not_done: int
    counted: int

    @property
    def score(self) -> int:
        return round(100 * self.on_time / self.counted) if self.counted else 0


def score(response: Response, now=None) -> Scored:
    """Each action against its limit: on time, late (minutes over), not done (open or withdrawn before
    done; an open one past its deadline counts as late)."""
    now = now or timezone.now()
    rows, on_time, late, not_done = [], 0, 0, 0
    for a in queries.actions_of(response):
        if a.status == ActionStatus.DONE:
            if a.done_at <= a.deadline:
                result = _("on time")
                on_time += 1
            else:
                result = _("late by %(minutes)s min") % {"minutes": _minutes(a.deadline, a.done_at)}
                late += 1
        else:
            not_done += 1
            result = _("not done")
            if a.status == ActionStatus.WITHDRAWN:
                result = _("withdrawn, not done")
        rows.append(
            (
                ROMAN[a.level],
                a.title,
                a.organisation_name,
                a.minutes,
                _time(a.deadline),
                _time(a.done_at),
                _minutes(a.activated_at, a.done_at),
                result,
            )
        )
    return Scored(rows, on_time, late, not_done, on_time + late + not_done)


def chain(response: Response) -> list[tuple]:
    """warning → proposal → start, and each level change, with the minutes between steps."""
    steps = []
    first = queries.causes(response).first()
    if first is not None:
        steps.append((_("Warning issued"), first.message.created_at, first.message.subject))
        steps.append((_("Response proposed"), first.created_at, first.warning_subject))
    started = queries.timeline(response).filter(kind=EventKind.STARTED).first()
    first_level = (started.data.get("level") if started else None) or response.level
    steps.append((_("Response started"), response.started_at, ROMAN[first_level]))
    for event in queries.timeline(response).filter(kind__in=[EventKind.UPGRADED, EventKind.DOWNGRADED]):
        steps.append((event.get_kind_display(), event.time, event.text))
    if response.ended_at:
        steps.append((_("Response ended"), response.ended_at, response.end_reason))
    rows, previous = [], None
    for label, time, note in steps:
        rows.append((label, _time(time), _minutes(previous, time) if previous else "", note))
        previous = time
    return rows


def render_html(response: Response) -> str:
    title = _("Drill evaluation report") if response.exercise else _("Response timing report")
    scored = score(response)
    facts = [
        (_("Response"), str(response)),
        (_("Plan"), f"{response.plan.name} r{response.revision.number}"),
        (_("Started at"), _time(response.started_at)),
        (_("Ended at"), _time(response.ended_at) or _("running")),
        (
            _("Score"),
            _("%(score)s%% of %(counted)s actions on time (late %(late)s, not done %(not_done)s)")
            % {
                "score": scored.score,
                "counted": scored.counted,
                "late": scored.late,
                "not_done": scored.not_done,
            },
        ),
    ]
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
    ]
    if response.exercise:
        banner = _("Exercise (drill): not a real response")
        parts.append(f'<div class="banner">{escape(banner)}</div>')
    if response.plan.demo:
        demo = _("The plan is demo content.")
        parts.append(f'<p class="sub">{escape(demo)}</p>')
    parts.append(f"<h1>{escape(title)}</h1>")
    parts.append(f'<div class="sub">{escape(str(response))} · {escape(_time(timezone.now()))}</div>')
    parts.append(
        '<table class="facts">'
        + "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts)
        + "</table>"
    )
    heading = _("From warning to response")
    parts.append(f"<h2>{escape(heading)}</h2>")
    parts.append(
        _table([_("Step"), _("Time"), _("Minutes since the step before"), _("Note")], chain(response))
    )
    heading = _("Checklist against the plan")
    parts.append(f"<h2>{escape(heading)}</h2>")
    parts.append(
        _table(
            [
                _("Level"),
                _("Action"),
                _("Organisation"),
                _("Limit (min)"),
                _("Deadline"),
                _("Done at"),
                _("Taken (min)"),
                _("Result"),
            ],
            scored.rows,
        )
    )
    parts.append("</body></html>")
    return "".join(parts)


def render_pdf(response: Response) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(response)).write_pdf()


def filename(response: Response) -> str:
    kind = "drill" if response.exercise else "response"
    return f"{kind}-{response.pk}-report.pdf"
