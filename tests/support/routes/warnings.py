"""The warnings routes in the shared matrix: warnings and proposals made in 思明区, looked at from 湖里区."""

from tests.support.matrix import Route, register
from tests.support.places import SIMING

NEW_WARNING = {"hazard": "rainstorm", "level": "blue", "area_codes": [SIMING]}


def _draft():
    from citywatch.core.models import User
    from citywatch.warnings import actions

    warning = actions.draft_warning(
        User.objects.get(username="commander"),
        actions.WarningInput(hazard="rainstorm", level="blue", area_codes=[SIMING]),
    )
    return {"pk": warning.pk}


def _issued():
    import datetime

    from django.utils import timezone

    from citywatch.core.models import User
    from citywatch.warnings import actions

    commander = User.objects.get(username="commander")
    warning = actions.draft_warning(
        commander,
        actions.WarningInput(
            hazard="rainstorm",
            level="blue",
            area_codes=[SIMING],
            expires=timezone.now() + datetime.timedelta(hours=6),
        ),
    )
    version = actions.issue(commander, warning)
    return {"pk": warning.pk, "version": version.pk}


def _version():
    return {"pk": _issued()["version"]}


def _proposal():
    from django.utils import timezone

    from citywatch.core.models import AdminArea
    from citywatch.warnings.models import HazardType, Proposal

    proposal = Proposal.objects.create(
        hazard=HazardType.objects.get(code="rainstorm"),
        area=AdminArea.objects.get(code=SIMING),
        level="yellow",
        value=55.0,
        unit="mm",
        criterion="≥ 50 mm in 6 h",
        observed_at=timezone.now(),
    )
    return {"pk": proposal.pk}


register(
    Route("GET", "/api/v1/warnings/", outsider=None, malformed={"query": {"level": "purple"}}),
    Route(
        "POST",
        "/api/v1/warnings/",
        body=NEW_WARNING,
        outsider=None,
        forbidden="inspector",
        malformed={"body": {**NEW_WARNING, "level": "purple"}},
    ),
    Route("GET", "/api/v1/warnings/hazards", outsider=None),
    Route("GET", "/api/v1/warnings/{pk}", make=_draft, malformed={"path": {"pk": "abc"}}),
    Route(
        "PATCH",
        "/api/v1/warnings/{pk}",
        make=_draft,
        body=NEW_WARNING,
        forbidden="inspector",
        malformed={"body": {"level": "x"}},
    ),
    Route(
        "POST",
        "/api/v1/warnings/{pk}/transitions",
        make=_draft,
        body={"action": "submit"},
        forbidden="inspector",
        malformed={"body": {"action": "explode"}},
    ),
    Route(
        "POST",
        "/api/v1/warnings/{pk}/updates",
        make=_issued,
        body={**NEW_WARNING, "level": "yellow"},
        forbidden="inspector",
        malformed={"body": {**NEW_WARNING, "level": "purple"}},
    ),
    Route("GET", "/api/v1/warnings/{pk}/versions", make=_draft, malformed={"path": {"pk": "abc"}}),
    Route("GET", "/api/v1/warnings/versions/{pk}/cap", make=_version, malformed={"path": {"pk": "abc"}}),
    Route(
        "POST",
        "/api/v1/warnings/cap",
        body="<alert/>",
        outsider=None,
        forbidden="inspector",
        malformed={"body": "not xml at all"},
    ),
    Route(
        "GET",
        "/api/v1/warnings/proposals",
        outsider=None,
        forbidden="inspector",
        malformed={"query": {"level": "purple"}},
    ),
    Route("GET", "/api/v1/warnings/proposals/{pk}", make=_proposal, malformed={"path": {"pk": "abc"}}),
    Route(
        "POST",
        "/api/v1/warnings/proposals/{pk}/draft",
        make=_proposal,
        body={},
        forbidden="siming_officer",
        malformed={"body": {"expires": "never"}},
    ),
    Route(
        "POST",
        "/api/v1/warnings/proposals/{pk}/dismiss",
        make=_proposal,
        body={"reason": "现场核实无积水"},
        forbidden="siming_officer",
        malformed={"body": {"reason": ""}},
    ),
)
