"""Schemathesis over the typed OpenAPI document (/api/v1/openapi.json): no operation answers 5xx.

Two bounded runs, as a city-wide administrator with an API token, on the demo city:

* every operation with a few generated requests each (valid and invalid data, Schemathesis' default
  mix), checking only that no answer is a server error;
* the stateful run: Schemathesis' state machine follows the links it infers from the document (a created
  incident's or resource's ``id`` into the operations on ``{pk}``), so it reaches incident and resource
  operations on records that exist, not only 404s.

Bounded by ``max_examples`` and step counts (the whole file runs in about a minute); the full,
unbounded run is `schemathesis run` against a running instance (README "Testing the API").
"""

from __future__ import annotations

import pytest
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

schemathesis = pytest.importorskip("schemathesis")

# Operations that hand back whole files or run long jobs; fuzzing them proves nothing more than the
# dedicated tests do and costs most of the time.
SLOW = r"(export|/import|sitreps/\{[^}]+\}/(pdf|docx)|/backup)"


@pytest.fixture
def api(db):
    """The OpenAPI schema loaded from the WSGI application with a token; the application runs inside
    this test's transaction (Django's own test client does the same with these signals)."""
    from citywatch.core import actions
    from citywatch.core.models import User
    from citywatch.wsgi import application

    user = User.objects.get(username="city_admin")
    _token, secret = actions.create_api_token(user)
    headers = {"Authorization": f"Bearer {secret}", "Host": "127.0.0.1"}
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, headers=headers)
        yield schema, headers
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def no_server_error(response, case) -> None:
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} answered {response.status_code}: {response.text[:500]}\n"
        f"{case.as_curl_command()}"
    )


def test_no_operation_answers_5xx(api):
    schema, headers = api
    operations = schema.exclude(path_regex=SLOW)
    failures = []
    for result in operations.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=3,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(headers=headers)
            try:
                no_server_error(response, case)
            except AssertionError as exc:
                failures.append(str(exc))

        check()
    assert not failures, "\n\n".join(failures[:5])


def test_stateful_links_reach_incidents_and_resources(api):
    schema, headers = api
    machine = schema.exclude(path_regex=SLOW).as_state_machine()
    reached: set[str] = set()

    class Run(machine):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def after_call(self, response, case):
            reached.add(f"{case.method} {case.path}")

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            no_server_error(response, case)

    Run.run(
        settings=settings(
            max_examples=15,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    # Links took the run past the list and create operations into operations on a record.
    assert any("{" in op and "/incidents/" in op for op in reached), sorted(reached)
    assert any("{" in op and "/resources/" in op for op in reached), sorted(reached)
