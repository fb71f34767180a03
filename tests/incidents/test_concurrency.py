"""Two commanders acting on one incident at once cannot both win (row lock + version check)."""

import pytest

from citywatch.core.errors import Conflict
from citywatch.core.models import User
from citywatch.incidents import actions
from citywatch.incidents.models import Incident, IncidentLog
from tests.support.races import ON_POSTGIS, race


@pytest.mark.skipif(not ON_POSTGIS, reason="needs real row locks and two connections (PostGIS)")
@pytest.mark.django_db(transaction=True)
def test_two_commanders_cannot_both_win():
    from citywatch.demo.loader import load_demo

    load_demo(with_resources=False)  # transactional tests start from an empty database
    from tests.support.builders import new_incident

    incident = new_incident()
    commander, duty = User.objects.get(username="commander"), User.objects.get(username="duty_officer")

    # Same action, no version: the second waits for the lock, then finds "verified" and is refused.
    results = race(
        lambda: actions.transition(incident, "verify", commander),
        lambda: actions.transition(incident, "verify", duty),
    )
    assert results["first"] == "ok"
    assert isinstance(results["second"], Conflict), results
    # Different actions, both from version 2: the second's version is stale.
    results = race(
        lambda: actions.transition(incident, "respond", commander, expected_version=2),
        lambda: actions.transition(incident, "cancel", duty, expected_version=2),
    )
    assert results["first"] == "ok"
    assert isinstance(results["second"], Conflict) and "已被他人修改" in str(results["second"])
    incident.refresh_from_db()
    assert incident.status == "responding" and incident.version == 3
    assert IncidentLog.objects.filter(incident=incident, kind="status").count() == 3
    assert Incident.objects.count() == 1
