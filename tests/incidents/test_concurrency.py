"""Two commanders acting on one incident at once cannot both win (row lock + version check)."""

import os
import threading

import pytest
from django.db import connection, transaction

from citywatch.core.errors import Conflict
from citywatch.core.models import User
from citywatch.incidents import actions
from citywatch.incidents.models import Incident, IncidentLog

ON_POSTGIS = os.environ.get("CITYWATCH_DATABASE_URL", "").startswith("postgis")


def _race(incident, first_call, second_call):
    first_holds_lock = threading.Event()
    results = {}

    def first():
        try:
            with transaction.atomic():
                first_call()
                first_holds_lock.set()
                threading.Event().wait(1.0)  # keep the row lock while the second one tries
            results["first"] = "ok"
        except Exception as exc:  # noqa: BLE001
            results["first"] = exc
        finally:
            first_holds_lock.set()
            connection.close()

    def second():
        first_holds_lock.wait(10)
        try:
            second_call()
            results["second"] = "ok"
        except Exception as exc:  # noqa: BLE001
            results["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.skipif(not ON_POSTGIS, reason="needs real row locks and two connections (PostGIS)")
@pytest.mark.django_db(transaction=True)
def test_two_commanders_cannot_both_win():
    from citywatch.demo.loader import load_demo

    load_demo(with_resources=False)  # transactional tests start from an empty database
    from tests.support.builders import new_incident

    incident = new_incident()
    commander, duty = User.objects.get(username="commander"), User.objects.get(username="duty_officer")

    # Same action, no version: the second waits for the lock, then finds "verified" and is refused.
    results = _race(
        incident,
        lambda: actions.transition(incident, "verify", commander),
        lambda: actions.transition(incident, "verify", duty),
    )
    assert results["first"] == "ok"
    assert isinstance(results["second"], Conflict), results
    # Different actions, both from version 2: the second's version is stale.
    results = _race(
        incident,
        lambda: actions.transition(incident, "respond", commander, expected_version=2),
        lambda: actions.transition(incident, "cancel", duty, expected_version=2),
    )
    assert results["first"] == "ok"
    assert isinstance(results["second"], Conflict) and "已被他人修改" in str(results["second"])
    incident.refresh_from_db()
    assert incident.status == "responding" and incident.version == 3
    assert IncidentLog.objects.filter(incident=incident, kind="status").count() == 3
    assert Incident.objects.count() == 1
