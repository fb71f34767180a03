"""The duty officer's pages: warnings (in force, awaiting approval, drafts, ended) with a map of the areas in
signal colours and the open proposals; one warning with its versions and each version's CAP; the form to
draft, edit and update; the lifecycle buttons each role may press; the CAP upload. Reads through
``queries``, changes through ``actions`` (the same as the API)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from citywatch.core import access
from citywatch.core.choices import AreaLevel
from citywatch.core.errors import ActionError, Invalid
from citywatch.core.inputs import local_datetime
from citywatch.core.models import AdminArea
from citywatch.core.models.base import scope_of
from citywatch.warnings import actions, queries
from citywatch.warnings.choices import COLOURS, Level, WarningStatus
from citywatch.warnings.models import Proposal, Warning

TABS = {
    "in_force": gettext_lazy("In force"),
    "submitted": gettext_lazy("Awaiting approval"),
    "drafts": gettext_lazy("Drafts"),
    "ended": gettext_lazy("Ended"),
}
TEXTS = ("headline", "description", "instructions", "headline_en", "description_en", "instructions_en")
MAX_UPLOAD = 1024 * 1024


def _tab(user, tab: str):
    if tab == "submitted":
        return queries.awaiting_approval_for(user)
    if tab == "drafts":
        return queries.warnings_for(user).filter(status=WarningStatus.DRAFT)
    if tab == "ended":
        return (
            queries.warnings_for(user)
            .exclude(queries.in_force_q())
            .exclude(status__in=(WarningStatus.DRAFT, WarningStatus.SUBMITTED))
        )
    return queries.in_force_for(user)


def warning_list(request):
    access.require(request.user, Warning, "view")
    tab = request.GET.get("tab", "in_force")
    tab = tab if tab in TABS else "in_force"
    rows = list(_tab(request.user, tab).order_by("-updated_at", "-id")[:200])
    proposals = (
        queries.with_pending_drafts(request.user, list(queries.proposals_for(request.user)[:50]))
        if access.can(request.user, Proposal, "view")
        else []
    )
    return render(
        request,
        "warnings/list.html",
        {
            "tab": tab,
            "tabs": TABS,
            "rows": rows,
            "proposals": proposals,
            "colours": COLOURS,
            "can_add": access.can(request.user, Warning, "add"),
            "can_draft_from_proposal": access.can(request.user, Proposal, "change")
            and access.can(request.user, Warning, "add"),
        },
    )


def _areas_for_form(user):
    scope = scope_of(user)
    qs = AdminArea.objects.filter(level__in=(AreaLevel.DISTRICT, AreaLevel.STREET)).order_by("path")
    return [a for a in qs if scope.covers(a.path)]


def _form_values(post) -> dict:
    values = {name: post.get(name, "").strip() for name in (*TEXTS, "hazard", "level", "onset", "expires")}
    values["area_codes"] = [c for c in post.getlist("area_codes") if c][:200]
    values["exercise"] = post.get("exercise") in ("1", "on", "true")
    return values


def _input(values) -> actions.WarningInput:
    return actions.WarningInput(
        hazard=values["hazard"],
        level=values["level"],
        area_codes=values["area_codes"],
        onset=local_datetime(values["onset"], _("onset"), required=False),
        expires=local_datetime(values["expires"], _("expires"), required=False),
        exercise=values["exercise"],
        **{name: values[name] for name in TEXTS},
    )


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""


def _values_of(warning: Warning) -> dict:
    values = {name: getattr(warning, name) for name in TEXTS}
    values.update(
        hazard=warning.hazard.code,
        level=warning.level,
        onset=_local(warning.onset),
        expires=_local(warning.expires),
        exercise=warning.exercise,
        area_codes=[a.code for a in warning.areas.all()],
    )
    return values


def _form(request, *, warning: Warning | None, mode: str):
    """``mode``: new (a draft), edit (a draft), update (an issued warning: a new version)."""
    if warning is None:
        now = timezone.now()
        values = {
            "hazard": "rainstorm",
            "level": Level.BLUE,
            "onset": _local(now),
            "expires": _local(now + datetime.timedelta(hours=6)),
            "area_codes": [],
            "exercise": False,
            **dict.fromkeys(TEXTS, ""),
        }
    else:
        values = _values_of(warning)
    error, status = None, 200
    if request.method == "POST":
        values = _form_values(request.POST)
        try:
            data = _input(values)
            if mode == "new":
                warning = actions.draft_warning(request.user, data)
                messages.success(request, _("Draft saved. Submit it for approval or issue it."))
            elif mode == "edit":
                actions.edit_draft(request.user, warning, data, version=request.POST.get("version") or None)
            else:
                actions.update(request.user, warning, data, version=request.POST.get("version") or None)
                messages.success(request, _("The warning was updated: a new version was published."))
            return redirect("warning", pk=warning.pk)
        except ActionError as exc:
            error, status = str(exc), exc.status
    return render(
        request,
        "warnings/form.html",
        {
            "mode": mode,
            "warning": warning,
            "values": values,
            "error": error,
            "hazards": list(queries.hazards()),
            "levels": Level.choices,
            "areas": _areas_for_form(request.user),
        },
        status=status,
    )


def warning_new(request):
    access.require(request.user, Warning, "add")
    return _form(request, warning=None, mode="new")


def warning_edit(request, pk: int):
    warning = queries.warning_for(request.user, pk, "change")
    return _form(
        request, warning=warning, mode="update" if warning.status == WarningStatus.ISSUED else "edit"
    )


def warning_detail(request, pk: int):
    warning = queries.warning_for(request.user, pk)
    versions = list(queries.versions_of(request.user, warning))
    return render(
        request,
        "warnings/detail.html",
        {
            "warning": warning,
            "versions": versions,
            "colour": COLOURS[warning.level],
            "allowed": actions.allowed_actions(request.user, warning),
            "may_issue": actions.may_issue(request.user, warning.level),
        },
    )


STEPS = {
    "submit": actions.submit,
    "issue": actions.issue,
    "approve": actions.issue,
    "return": actions.return_to_draft,
    "withdraw": actions.withdraw,
    "lift": actions.lift,
}


@require_POST
def warning_step(request, pk: int):
    warning = queries.warning_for(request.user, pk, "change")
    step = request.POST.get("action", "")
    try:
        if step not in STEPS:
            raise Invalid(_("unknown action %(action)s") % {"action": step[:20]})
        STEPS[step](request.user, warning, version=request.POST.get("version") or None)
    except ActionError as exc:
        messages.error(request, str(exc))
    return redirect("warning", pk=pk)


@require_POST
def proposal_draft(request, pk: int):
    proposal = queries.proposal_for(request.user, pk, "change")
    access.require(request.user, Warning, "add")
    try:
        warning = actions.draft_from_proposal(request.user, proposal)
    except ActionError as exc:
        messages.error(request, str(exc))
        return redirect("warnings")
    return redirect("warning", pk=warning.pk)


@require_POST
def proposal_dismiss(request, pk: int):
    proposal = queries.proposal_for(request.user, pk, "change")
    access.require(request.user, Warning, "add")
    try:
        actions.dismiss_proposal(request.user, proposal, request.POST.get("reason", ""))
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The proposal was dismissed."))
    return redirect("duty" if request.POST.get("next") == "duty" else "warnings")


def cap_upload(request):
    access.require(request.user, Warning, "add")
    problems, error, status = [], None, 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error, status = _("Choose a CAP file."), 422
        elif upload.size > MAX_UPLOAD:
            error, status = _("The file is larger than 1 MiB."), 413
        else:
            try:
                result = actions.import_alert(request.user, upload.read())
            except ActionError as exc:
                error, status = str(exc), exc.status
                problems = exc.details if isinstance(exc.details, list) else []
                # the problems in words (their rule codes are the API's); a lone one is the message itself
                if len(problems) == 1 and problems[0].get("message") == error:
                    problems = []
                elif problems:
                    error = _("This file is not a CAP 1.2 alert CityWatch accepts:")
            else:
                if result.created:
                    messages.success(request, _("The alert was imported."))
                else:
                    messages.info(request, _("This alert is already held; nothing was imported."))
                return redirect("warning", pk=result.warning.pk)
    return render(request, "warnings/upload.html", {"error": error, "problems": problems}, status=status)
