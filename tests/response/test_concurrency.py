"""Two commanders start the same response at the same moment, each on their own connection: one gets
201, the other 409, and the database holds one response with one checklist and one notification."""

import os
import threading

import pytest
from django.db import connection

ON_POSTGIS = os.environ.get("CITYWATCH_DATABASE_URL", "").startswith("postgis")


@pytest.mark.skipif(not ON_POSTGIS, reason="needs concurrent writers (PostGIS)")
@pytest.mark.django_db(transaction=True)
def test_two_commanders_start_the_same_response_at_once():
    from citywatch.demo.loader import load_demo
    from citywatch.demo.plans import load_plans
    from citywatch.notify.models import Message
    from citywatch.response.models import ChecklistAction, Plan, Response
    from tests.support.personas import client_for

    load_demo(with_resources=False, with_geo=False)  # transactional tests start from an empty database
    load_plans()
    plan = Plan.objects.get(hazard="typhoon", area__code="350200")
    clients = [client_for("commander"), client_for("commander")]
    barrier = threading.Barrier(2)
    answers, errors = [], []

    def start(client, level):
        try:
            barrier.wait(10)
            answer = client.post(
                "/api/v1/responses/", {"plan": plan.pk, "level": level}, content_type="application/json"
            )
            answers.append((answer.status_code, answer.json()))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=start, args=(c, lv)) for c, lv in zip(clients, ("3", "2"), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(status for status, _ in answers) == [201, 409], answers
    loser = next(body for status, body in answers if status == 409)
    assert loser["error"]["code"] == "conflict" and loser["error"]["message"]
    assert Response.objects.count() == 1
    winner = Response.objects.get()
    expected = plan.current.levels.get(level=winner.level).actions.count()
    assert ChecklistAction.objects.count() == expected
    assert Message.objects.filter(kind="response.started").count() == 1
