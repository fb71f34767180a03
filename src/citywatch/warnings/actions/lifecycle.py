"""A warning from draft to lifted: submitting, approving (issuing), updating, lifting, expiring.

The table (``TRANSITIONS``, served by ``LIFECYCLE``): draft → submitted (awaiting a commander's approval)
→ issued; draft → issued directly for whoever may issue the level (``may_issue``); submitted → draft
(returned); draft or submitted → withdrawn; issued → issued (update: upgrade, downgrade, extend, change
areas — a new version); issued → lifted (a person) or expired (the worker, at the expiry).

Every publication (issue, update, lift) writes, in one transaction: the warning, a ``WarningVersion``
referencing the previous one with its CAP document, and one notify outbox message (``warning.issued``,
``warning.updated``, ``warning.lifted``; expiry writes ``warning.expired`` and no CAP message, since the
last document's ``expires`` already says it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citywatch import notify
from citywatch.core.access import require
from citywatch.core.choices import Role
from citywatch.core.errors import Conflict, Forbidden
from citywatch.core.lifecycle import Lifecycle, stamped, transitions
from citywatch.warnings import cap, documents
from citywatch.warnings.actions.drafting import WarningInput, apply, clean, lock_warning
from citywatch.warnings.choices import (
    Change,
    MsgType,
    ProposalStatus,
    WarningStatus,
    level_rank,
)
from citywatch.warnings.models import Proposal, Warning, WarningVersion

S = WarningStatus
TRANSITIONS = transitions(
    (S.DRAFT, "submit", S.SUBMITTED),
    (S.DRAFT, "issue", S.ISSUED),
    (S.SUBMITTED, "approve", S.ISSUED),
    (S.SUBMITTED, "return", S.DRAFT),
    ((S.DRAFT, S.SUBMITTED), "withdraw", S.WITHDRAWN),
    (S.ISSUED, "update", S.ISSUED),
    (S.ISSUED, "lift", S.LIFTED),
    (S.ISSUED, "expire", S.EXPIRED),
)
STATE_TIMESTAMP = stamped(S.SUBMITTED, S.ISSUED, S.LIFTED, S.EXPIRED, S.WITHDRAWN)
LIFECYCLE = Lifecycle(
    TRANSITIONS,
    STATE_TIMESTAMP,
    WarningStatus,
    illegal=gettext_noop("cannot %(action)s a warning that is %(status)s; allowed: %(allowed)s"),
    illegal_final=gettext_noop("cannot %(action)s a warning that is %(status)s"),
    clears={"return": ("submitted_at",)},
)
ACTIONS = LIFECYCLE.actions
ISSUERS = frozenset({Role.CITY_ADMIN, Role.COMMANDER})
LOW_LEVELS = frozenset({"blue", "yellow"})
EXPIRED_SUFFIX = "到期解除"  # the subject of an expiry's message: 「同安区暴雨橙色预警到期解除」
EXPIRED_BODY = "该预警已到期解除。"
EVENT_KINDS = {
    Change.ISSUE: "warning.issued",
    Change.LIFT: "warning.lifted",
    Change.EXPIRE: "warning.expired",
}


def may_issue(user, level: str) -> bool:
    """Whether ``user`` may publish a warning of ``level`` without a further approval: commanders and the
    city admin always; duty officers blue and yellow when the setting allows it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    role = getattr(user, "role", "")
    if role in ISSUERS:
        return True
    return (
        role == Role.DUTY_OFFICER
        and settings.CITYWATCH_WARNINGS_DUTY_OFFICER_ISSUES_LOW
        and level in LOW_LEVELS
    )


def require_issuer(user, level: str) -> None:
    if not may_issue(user, level):
        raise Forbidden(
            _("a %(level)s warning needs a commander's approval: submit it for approval") % {"level": level}
        )


def allowed_actions(user, warning: Warning) -> list[str]:
    """The lifecycle actions the user may take on the warning now (for pages and API answers)."""
    from citywatch.core.access import can
    from citywatch.core.models.base import scope_of

    if not can(user, Warning, "change"):
        return []
    if not scope_of(user).covers(warning.area.path):
        return []  # seen from below (a city-wide warning by district staff): not theirs to act on
    out = []
    for action in LIFECYCLE.allowed(warning.status):
        if action == "expire":
            continue
        if action in ("issue", "approve", "return", "update", "lift") and not may_issue(user, warning.level):
            continue
        out.append(action)
    return out


def _publish_version(warning: Warning, change: str, user) -> WarningVersion:
    """The next version of ``warning`` with its CAP document, and its outbox message."""
    previous = list(warning.versions.order_by("number"))
    number = len(previous) + 1
    if change in (Change.LIFT, Change.EXPIRE):
        msg_type = MsgType.CANCEL
    else:
        msg_type = MsgType.ALERT if not previous else MsgType.UPDATE
    sent = documents.now_for_cap()
    if previous and sent <= previous[-1].sent:
        sent = documents.in_city_time(previous[-1].sent + timezone.timedelta(seconds=1))
    alert = documents.alert_for(
        warning, number=number, msg_type=msg_type, sent=sent, previous_versions=previous
    )
    data = cap.write_alert(alert)
    version = save_version(
        warning,
        number=number,
        previous=previous[-1] if previous else None,
        change=change,
        msg_type=msg_type,
        alert=alert,
        sent=sent,
        user=user,
        text=data.decode("utf-8"),
    )
    announce(warning, change, version)
    return version


def save_version(warning: Warning, *, number, previous, change, msg_type, alert, sent, user, text):
    """The warning as it stands, stored as its version ``number`` with the CAP document ``text`` (written
    here or imported) that published it; ``previous`` is the version before (None for the first)."""
    return WarningVersion.objects.create(
        warning=warning,
        number=number,
        previous=previous,
        change=change,
        msg_type=msg_type,
        identifier=alert.identifier,
        sender=alert.sender,
        sent=sent,
        level=warning.level,
        hazard=warning.hazard.code,
        onset=warning.onset,
        expires=warning.expires,
        headline=warning.headline,
        description=warning.description,
        instructions=warning.instructions,
        area_codes=sorted(warning.areas.values_list("code", flat=True)),
        geometry=warning.geometry,
        by=user if getattr(user, "pk", None) else None,
        cap=text,
    )


def announce(warning: Warning, change: str, version: WarningVersion | None) -> None:
    """The outbox message of a change (in the caller's transaction)."""
    kind = EVENT_KINDS.get(change, "warning.updated")
    subject, body = warning.headline, warning.instructions
    if change == Change.LIFT:  # as the CAP Cancel says it, not the issued warning's words again
        subject = documents.CANCEL_HEADLINE["zh-CN"].format(warning.headline)
        body = documents.CANCEL_DESCRIPTION["zh-CN"]
    elif change == Change.EXPIRE:
        subject, body = f"{warning.headline}{EXPIRED_SUFFIX}", EXPIRED_BODY
    notify.publish(
        kind,
        area=warning.area,
        subject=subject,
        body=body,
        payload={
            "warning": warning.pk,
            "version": version.number if version else None,
            "identifier": version.identifier if version else None,
            "msg_type": version.msg_type if version else None,
            "change": str(change),
            "hazard": warning.hazard.code,
            "level": warning.level,
            "area_codes": version.area_codes if version else [],
            "source": warning.source,
        },
        hazard=warning.hazard.code,
        level=warning.level,
        exercise=warning.exercise,
        public=not warning.exercise,
        obj=warning,
    )


def _mark_proposal(warning: Warning) -> None:
    """The proposal the warning was made from records the level issued (never proposed again)."""
    if warning.proposal_id is None:
        return
    proposal = Proposal.objects.select_for_update().get(pk=warning.proposal_id)
    if level_rank(warning.level) > level_rank(proposal.issued_level):
        proposal.issued_level = warning.level
    if level_rank(proposal.level) <= level_rank(proposal.issued_level):
        proposal.status = ProposalStatus.ISSUED
    proposal.save()


def _check_not_issued_twice(warning: Warning) -> None:
    if warning.proposal_id is None:
        return
    proposal = Proposal.objects.select_for_update().get(pk=warning.proposal_id)
    if level_rank(warning.level) <= level_rank(proposal.issued_level):
        raise Conflict(
            _("a %(level)s warning was already issued for this proposal's hazard and area")
            % {"level": proposal.get_issued_level_display()}
        )


def _check_in_force_window(warning: Warning) -> None:
    now = timezone.now()
    if warning.expires is not None and warning.expires <= now:
        raise Conflict(_("the warning's expiry has passed; set a later expiry"))


@transaction.atomic
def submit(user, warning: Warning, *, version: int | None = None) -> Warning:
    """A draft goes to the commanders for approval."""
    warning = lock_warning(warning, version)
    require(user, Warning, "change")
    LIFECYCLE.apply(warning, "submit")
    warning.version += 1
    warning.save()
    return warning


@transaction.atomic
def issue(user, warning: Warning, *, version: int | None = None) -> WarningVersion:
    """Issue a draft (whoever may issue its level) or approve a submitted warning (a commander)."""
    warning = lock_warning(warning, version)
    require(user, Warning, "change")
    action = "approve" if warning.status == S.SUBMITTED else "issue"
    LIFECYCLE.target(warning.status, action)
    require_issuer(user, warning.level)
    _check_not_issued_twice(warning)
    _check_in_force_window(warning)
    LIFECYCLE.apply(warning, action)
    warning.approved_by = user if getattr(user, "pk", None) else None
    warning.version += 1
    warning.save()
    published = _publish_version(warning, Change.ISSUE, user)
    _mark_proposal(warning)
    return published


def _step(user, warning: Warning, version: int | None, action: str, *, issuer: bool) -> Warning:
    """Lock and check the warning, move it by ``action`` (only for whoever may issue its level, when
    ``issuer``) and save it with its version raised."""
    warning = lock_warning(warning, version)
    require(user, Warning, "change")
    if issuer:
        LIFECYCLE.target(warning.status, action)
        require_issuer(user, warning.level)
    LIFECYCLE.apply(warning, action)
    warning.version += 1
    warning.save()
    return warning


@transaction.atomic
def return_to_draft(user, warning: Warning, *, version: int | None = None) -> Warning:
    return _step(user, warning, version, "return", issuer=True)


@transaction.atomic
def withdraw(user, warning: Warning, *, version: int | None = None) -> Warning:
    return _step(user, warning, version, "withdraw", issuer=False)


def change_of(before: dict, warning: Warning, codes_before: list[str], codes_after: list[str]) -> str:
    """What an update did: upgrade / downgrade before extend before a change of areas."""
    if level_rank(warning.level) > level_rank(before["level"]):
        return Change.UPGRADE
    if level_rank(warning.level) < level_rank(before["level"]):
        return Change.DOWNGRADE
    if warning.expires != before["expires"] and (
        before["expires"] is None or (warning.expires and warning.expires > before["expires"])
    ):
        return Change.EXTEND
    if codes_before != codes_after:
        return Change.AREAS
    return Change.UPDATE


@transaction.atomic
def update(user, warning: Warning, data: WarningInput, *, version: int | None = None) -> WarningVersion:
    """Change an issued warning (upgrade, downgrade, extend, change areas): a new version, published as a
    CAP Update referencing the earlier ones. Whoever publishes must be able to issue the new level."""
    warning = lock_warning(warning, version)
    require(user, Warning, "change")
    LIFECYCLE.target(warning.status, "update")
    if data.exercise != warning.exercise:
        raise Conflict(_("a drill cannot become a real warning, nor the other way round"))
    cleaned = clean(data, user)
    if cleaned.hazard.pk != warning.hazard_id:
        raise Conflict(_("the hazard of an issued warning cannot change; lift it and issue another"))
    require_issuer(user, cleaned.level)
    require_issuer(user, warning.level)
    before = {"level": warning.level, "expires": warning.expires}
    codes_before = sorted(warning.areas.values_list("code", flat=True))
    apply(warning, cleaned, user)
    _check_in_force_window(warning)
    warning.version += 1
    warning.save()
    warning.areas.set(cleaned.areas)
    codes_after = sorted(a.code for a in cleaned.areas)
    published = _publish_version(warning, change_of(before, warning, codes_before, codes_after), user)
    _mark_proposal(warning)
    return published


@transaction.atomic
def lift(user, warning: Warning, *, version: int | None = None) -> WarningVersion:
    """Lift an issued warning: a CAP Cancel referencing every earlier version."""
    warning = _step(user, warning, version, "lift", issuer=True)
    return _publish_version(warning, Change.LIFT, user)


def expire_due(now=None) -> int:
    """The worker's step: every issued warning whose expiry has passed becomes expired (one transaction
    each, the row locked and checked again). Returns how many."""
    now = now or timezone.now()
    count = 0
    due = Warning.objects.filter(status=S.ISSUED, expires__lte=now).values_list("pk", flat=True)
    for pk in list(due[:1000]):
        with transaction.atomic():
            warning = Warning.objects.select_for_update().select_related("hazard", "area").get(pk=pk)
            if warning.status != S.ISSUED or warning.expires is None or warning.expires > now:
                continue
            LIFECYCLE.apply(warning, "expire", now=now)
            warning.version += 1
            warning.save()
            announce(warning, Change.EXPIRE, warning.versions.order_by("-number").first())
            count += 1
    return count
