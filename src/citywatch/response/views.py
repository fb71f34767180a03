"""Pages of plans and responses. Reads go through ``queries`` (``core.access``), every change through
``actions``, as the API does; a refusal is shown as a message and changes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citywatch.core import access
from citywatch.core.errors import ActionError, Invalid
from citywatch.core.importing import ImportFailed
from citywatch.core.models import AdminArea
from citywatch.response import actions, documents, importers, queries
from citywatch.response.choices import ROMAN, ProposalRule, ResponseStatus
from citywatch.response.models import ChecklistAction, Plan, Proposal, Response

LEVELS_LOW_FIRST = [(v, ROMAN[v]) for v in ("4", "3", "2", "1")]


def _areas(user):
    from citywatch.core.choices import AreaLevel

    levels = (AreaLevel.CITY, AreaLevel.DISTRICT)
    return AdminArea.objects.within(user).filter(level__in=levels).order_by("path")


# --- Plans -----------------------------------------------------------------------------------------


def plan_list(request):
    access.require(request.user, Plan, "view")
    return render(
        request,
        "response/plan_list.html",
        {
            "plans": queries.plans_for(request.user),
            "can_import": access.can(request.user, Plan, "add") and access.can(request.user, Plan, "change"),
        },
    )


def plan_detail(request, pk):
    plan = queries.plan_for(request.user, pk)
    revision = plan.current
    number = request.GET.get("revision")
    if number and number.isdigit() and len(number) < 9:
        revision = queries.revision_of(request.user, plan, int(number))
    return render(
        request,
        "response/plan_detail.html",
        {
            "plan": plan,
            "revision": revision,
            "levels": queries.levels_of(revision) if revision else [],
            "revisions": plan.revisions.select_related("created_by").order_by("-number"),
            "can_edit": access.can(request.user, Plan, "change"),
            "can_start": access.can(request.user, Response, "add"),
            "start_levels": [lv.level for lv in queries.levels_of(revision)] if revision else [],
            "roman": ROMAN,
            "areas": _areas(request.user),
        },
    )


def _edit_values(spec: actions.PlanSpec) -> dict:
    by_level = {lv.level: lv for lv in spec.levels}
    return {
        "name": spec.name,
        "rule": spec.rule,
        "levels": [
            {
                "level": value,
                "roman": ROMAN[value],
                "present": value in by_level,
                "condition": by_level[value].condition if value in by_level else "",
                "actions": "\n".join(
                    f"{a.title} | {a.organisation} | {a.minutes}" for a in by_level[value].actions
                )
                if value in by_level
                else "",
            }
            for value in ("4", "3", "2", "1")
        ],
    }


def _spec_from_post(plan: Plan, post) -> actions.PlanSpec:
    """The edit form as a ``PlanSpec``: per level a checkbox, the conditions, and one action per line
    written "action | organisation | minutes"."""
    levels, problems = [], []
    for value in ("4", "3", "2", "1"):
        if not post.get(f"level_{value}"):
            continue
        lv = actions.LevelSpec(value, post.get(f"condition_{value}", ""))
        for n, line in enumerate(post.get(f"actions_{value}", "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3:
                problems.append(
                    _("level %(level)s, line %(n)s: write “action | organisation | minutes”")
                    % {"level": ROMAN[value], "n": n}
                )
                continue
            try:
                minutes = int(actions.read_minutes(parts[2]))
            except ActionError as exc:
                problems.append(f"{ROMAN[value]} {n}: {exc}")
                continue
            lv.actions.append(actions.ActionSpec(parts[0], parts[1], minutes))
        levels.append(lv)
    if problems:
        raise Invalid("; ".join(problems), details=problems)
    rule = post.get("rule", "")
    if rule not in ProposalRule.values:
        raise Invalid(
            _("unknown proposal rule %(value)s; use one of %(rules)s")
            % {"value": repr(rule[:20]), "rules": ", ".join(ProposalRule.values)}
        )
    return actions.PlanSpec(plan.hazard, post.get("name", ""), plan.area, rule, levels)


def plan_edit(request, pk):
    plan = queries.plan_for(request.user, pk, "change")
    error = None
    if request.method == "POST":
        try:
            spec = _spec_from_post(plan, request.POST)
            plan, outcome = actions.save_plan(request.user, spec, request.POST.get("note", ""))
        except ActionError as exc:
            error = exc
            values = {
                "name": request.POST.get("name", ""),
                "rule": request.POST.get("rule", ""),
                "levels": [
                    {
                        "level": v,
                        "roman": ROMAN[v],
                        "present": bool(request.POST.get(f"level_{v}")),
                        "condition": request.POST.get(f"condition_{v}", ""),
                        "actions": request.POST.get(f"actions_{v}", ""),
                    }
                    for v in ("4", "3", "2", "1")
                ],
            }
        else:
            if outcome == "unchanged":
                messages.info(request, _("Nothing changed: no new revision was written."))
            else:
                messages.success(request, _("Revision %(number)s written.") % {"number": plan.current.number})
            return redirect("response_plan", pk=plan.pk)
    else:
        values = _edit_values(actions.spec_of(plan))
    return render(
        request,
        "response/plan_edit.html",
        {"plan": plan, "values": values, "rules": ProposalRule.choices, "error": error},
        status=422 if error else 200,
    )


@require_POST
def plan_import(request):
    upload = request.FILES.get("file")
    access.require(request.user, Plan, "add")
    if upload is None:
        messages.error(request, _("Choose a file."))
        return redirect("response_plans")
    try:
        report = importers.import_upload(upload, user=request.user)
    except ImportFailed as exc:
        for problem in exc.report.problems[:20]:
            messages.error(request, str(problem))
    else:
        messages.success(request, report.summary())
    return redirect("response_plans")


def plan_export(request):
    access.require(request.user, Plan, "view")
    plans = list(queries.plans_for(request.user))
    answer = HttpResponse(
        importers.write_xlsx(plans),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    answer["Content-Disposition"] = f'attachment; filename="{importers.export_name(plans)}"'
    return answer


# --- Responses -------------------------------------------------------------------------------------


def response_list(request):
    access.require(request.user, Response, "view")
    user = request.user
    return render(
        request,
        "response/response_list.html",
        {
            "active": queries.active_responses(user),
            "ended": queries.responses_for(user).filter(status=ResponseStatus.ENDED)[:30],
            "proposals": queries.open_proposals(user),
            "can_start": access.can(user, Response, "add"),
            "plans": queries.plans_for(user).filter(current__isnull=False),
            "levels": LEVELS_LOW_FIRST,
            "areas": _areas(user),
            "roman": ROMAN,
        },
    )


def _response_context(request, response) -> dict:
    user = request.user
    now = timezone.now()
    return {
        "response": response,
        "items": queries.actions_of(response),
        "progress": queries.progress(response, now),
        "events": queries.timeline(response),
        "causes": queries.causes(response),
        "proposals": response.proposals.filter(status="open"),
        "incidents": queries.incidents_of(user, response)[:50],
        "can_change": response.active and access.can(user, Response, "change"),
        "can_mark": response.active and access.can(user, ChecklistAction, "change"),
        "levels": [v for v in actions.responses.plan_levels(response.revision) if v != response.level],
        "roman": ROMAN,
        "now": now,
    }


def response_detail(request, pk):
    response = queries.response_for(request.user, pk)
    return render(request, "response/response_detail.html", _response_context(request, response))


def response_live(request, pk):
    """The live part of the response page (checklist, timeline), fetched again by panels.js."""
    response = queries.response_for(request.user, pk)
    return render(request, "response/_response_live.html", _response_context(request, response))


def response_report(request, pk):
    response = queries.response_for(request.user, pk)
    answer = HttpResponse(documents.render_pdf(response), content_type="application/pdf")
    answer["Content-Disposition"] = f'attachment; filename="{documents.filename(response)}"'
    return answer


def _done(request, call, success: str, target):
    try:
        call()
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return target


@require_POST
def response_start(request):
    user = request.user
    access.require(user, Response, "add")
    raw_plan = request.POST.get("plan", "")
    plan = queries.plan_for(user, int(raw_plan)) if raw_plan.isdigit() and len(raw_plan) < 10 else None
    if plan is None:
        messages.error(request, _("Choose a plan."))
        return redirect("responses")
    area = AdminArea.objects.filter(code=request.POST.get("area", "")[:12]).first() or plan.area
    try:
        response = actions.start(
            user,
            plan,
            request.POST.get("level", ""),
            area,
            request.POST.get("reason", ""),
            exercise=bool(request.POST.get("exercise")),
        )
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("responses")
    messages.success(request, _("The response was started."))
    return redirect("response", pk=response.pk)


@require_POST
def response_level(request, pk):
    response = queries.response_for(request.user, pk, "change")
    version = request.POST.get("version", "")
    return _done(
        request,
        lambda: actions.change_level(
            request.user,
            response,
            request.POST.get("level", ""),
            request.POST.get("reason", ""),
            int(version) if version.isdigit() and len(version) < 9 else None,
        ),
        _("The level was changed."),
        redirect("response", pk=pk),
    )


@require_POST
def response_end(request, pk):
    response = queries.response_for(request.user, pk, "change")
    return _done(
        request,
        lambda: actions.end(request.user, response, request.POST.get("reason", "")),
        _("The response was ended."),
        redirect("response", pk=pk),
    )


@require_POST
def action_done(request, pk):
    item = queries.action_for(request.user, pk, "change")
    return _done(
        request,
        lambda: actions.mark_done(request.user, item, request.POST.get("note", "")),
        _("Marked done."),
        redirect("response", pk=item.response_id),
    )


@require_POST
def proposal_accept(request, pk):
    proposal = queries.proposal_for(request.user, pk, "change")
    access.require(request.user, Response, "change")
    level = request.POST.get("level") or None
    try:
        response = actions.act_on(request.user, proposal, level, request.POST.get("reason", ""))
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("duty" if request.POST.get("next") == "duty" else "responses")
    messages.success(request, _("Done: %(what)s") % {"what": proposal.get_kind_display()})
    return redirect("response", pk=response.pk)


@require_POST
def proposal_dismiss(request, pk):
    proposal = queries.proposal_for(request.user, pk, "change")
    return _done(
        request,
        lambda: actions.dismiss(request.user, proposal, request.POST.get("note", "")),
        _("The proposal was dismissed."),
        redirect("response", pk=proposal.response_id)
        if request.POST.get("next") == "response" and proposal.response_id
        else redirect("duty" if request.POST.get("next") == "duty" else "responses"),
    )


# --- The duty screen's panel -----------------------------------------------------------------------


def duty_panel(request):
    """Open proposals, running responses with their progress, and overdue actions (core/panels.py)."""
    user = request.user
    if not access.can(user, Response, "view"):
        return None
    now = timezone.now()
    active = list(queries.active_responses(user)[:10])
    return {
        "proposals": list(queries.open_proposals(user)[:10]),
        "active": [(r, queries.progress(r, now)) for r in active],
        "overdue": list(queries.overdue_actions(user, now)[:15]),
        "can_accept": access.can(user, Proposal, "change") and access.can(user, Response, "change"),
        "roman": ROMAN,
        "now": now,
    }
