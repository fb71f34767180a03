"""What every incident action does to the incident: lock it, check that it is open, write its log.

Lock order: the incident row first (``lock_incident``, which also checks the client's version), then the
record of the incident being changed (``lock_record`` takes both, in that order), then any resource the
record moves (a team, an expert, a stock balance). Every action writes one entry to the incident log
(``append_log``) whose text ``log_text`` writes in the site's language.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from citywatch.core import inputs
from citywatch.core.errors import Conflict
from citywatch.core.models.base import differs
from citywatch.incidents.choices import IncidentStatus, LogKind
from citywatch.incidents.models import Incident, IncidentLog

S = IncidentStatus
# The states in which an incident takes new roles, tasks, orders and supply requests.
OPEN_STATES = frozenset({S.REPORTED, S.VERIFIED, S.RESPONDING, S.STABILISED})
MAX_NOTE = 4000
NOT_OPEN = gettext_noop("the incident is %(status)s")


def actor(user):
    """The user to record as author (None for the system or an anonymous caller)."""
    return user if getattr(user, "pk", None) else None


# The log is a shared record, shown on the one-map and copied into the situation report: its texts are
# written in the site's language (settings.LANGUAGE_CODE), whoever's request writes them. Each msgid is
# marked with gettext_noop where it is used, for makemessages. Code reads an entry's ``data``, never its
# text. (Error messages, by contrast, answer one request: plain gettext, the request's language.)
WITH_NOTE = gettext_noop("%(entry)s: %(note)s")


def log_text(msgid: str, /, note: str = "", **params) -> str:
    """A log entry's text: ``msgid`` in the site's language, filled with the named ``params``; lazy labels
    among them (``DispatchStatus(value).label``, a field's verbose name) are rendered in that language
    too, and a list as the language lists ("标题、描述"). A free-text ``note`` (a reason, a remark) is
    appended as "entry: note"."""
    with translation.override(settings.LANGUAGE_CODE):
        separator = translation.pgettext("list separator", ", ")
        text = translation.gettext(msgid) % {
            key: separator.join(map(str, value)) if isinstance(value, list | tuple) else str(value)
            for key, value in params.items()
        }
        if note:
            text = translation.gettext(WITH_NOTE) % {"entry": text, "note": note}
    return text


def append_log(incident: Incident, kind: str, text: str, user=None, data: dict | None = None) -> IncidentLog:
    """Append one entry to the incident's log (inside the action's transaction)."""
    return IncidentLog.objects.create(
        incident=incident, kind=kind, text=text[:MAX_NOTE], author=actor(user), data=data or {}
    )


STALE_INCIDENT = gettext_noop(
    "the incident was changed by someone else (version %(current)s, you sent %(sent)s); reload and try again"
)


def require_version(locked: models.Model, expected_version: int | None, stale: str = STALE_INCIDENT) -> None:
    """A client's ``expected_version`` that is not the locked row's ``version`` is a Conflict (409);
    ``stale``: the msgid saying so (``%(current)s``, ``%(sent)s``)."""
    if expected_version is not None and expected_version != locked.version:
        raise Conflict(_(stale) % {"current": locked.version, "sent": expected_version})


def lock_incident(incident: Incident, expected_version: int | None = None) -> Incident:
    """The incident row, locked until the transaction ends, checked against the client's
    ``expected_version``."""
    locked = Incident.objects.select_for_update().select_related("area").get(pk=incident.pk)
    require_version(locked, expected_version)
    return locked


def lock_record(record: models.Model, *related: str) -> tuple[Incident, models.Model]:
    """A record of an incident (an order, a supply request, a task…) and its incident, both locked, the
    incident first; ``related``: what to read with the record (``select_related``)."""
    incident = lock_incident(record.incident)
    locked = type(record).objects.select_for_update().select_related(*related).get(pk=record.pk)
    locked.incident = incident
    return incident, locked


def stamp_once(record: models.Model, field: str, already: str) -> None:
    """Stamp the time ``record`` ended (``field``) and save it, once: a second time is a Conflict
    (``already``, a msgid)."""
    if getattr(record, field) is not None:
        raise Conflict(_(already))
    setattr(record, field, timezone.now())
    record.save()


def require_open(incident: Incident, message: str | None = None) -> None:
    """A closed or cancelled incident takes no new roles, tasks, orders or supply requests (409).
    ``message``: a msgid with ``%(status)s`` saying what it refuses."""
    if incident.status not in OPEN_STATES:
        raise Conflict(_(message or NOT_OPEN) % {"status": S(incident.status).label})


def assign_changes(obj: models.Model, fields: dict) -> list[str]:
    """Set the ``fields`` whose new value differs from the object's; the names of those changed."""
    changed = [name for name, value in fields.items() if differs(getattr(obj, name), value)]
    for name in changed:
        setattr(obj, name, fields[name])
    return changed


@transaction.atomic
def add_note(incident: Incident, user, text: str, data: dict | None = None) -> IncidentLog:
    """A note in the incident's log, as written."""
    text = inputs.text(text, _("note"), maximum=MAX_NOTE, required=True)
    incident = lock_incident(incident)
    return append_log(incident, LogKind.NOTE, text, user, data)
