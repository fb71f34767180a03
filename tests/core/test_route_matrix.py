"""The shared route matrix: every API route answers anonymous → 401, outsider → 404, forbidden role → 403
and malformed input → 4xx, each with the error body (see tests/support/matrix.py)."""

import pytest

from citywatch.api import api
from tests.support import matrix
from tests.support.personas import anonymous, client_for

ROUTES = matrix.load_all()


def _error(response, status: int | None = None):
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"], body
    if status is not None:
        assert response.status_code == status, (response.status_code, body)
    return body


def api_routes() -> set[tuple[str, str]]:
    paths = api.get_openapi_schema(path_prefix="/api/v1")["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item}


def test_every_route_is_in_the_matrix():
    missing = sorted(api_routes() - set(ROUTES))
    assert not missing, f"register these routes in tests/support/routes/: {missing}"
    stale = sorted(set(ROUTES) - api_routes())
    assert not stale, f"registered but not served: {stale}"


def _cases(check):
    return [
        pytest.param(route, id=f"{route.method} {route.path}") for route in ROUTES.values() if check(route)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("route", _cases(lambda r: not r.public))
def test_anonymous_gets_401(route):
    params = route.params()
    _error(matrix.send(anonymous(), route, params, body=route.valid_body(params)), 401)


@pytest.mark.django_db
@pytest.mark.parametrize("route", _cases(lambda r: r.outsider))
def test_outsider_gets_404(route):
    params = route.params()
    response = matrix.send(client_for(route.outsider), route, params, body=route.valid_body(params))
    _error(response, 404)


@pytest.mark.django_db
@pytest.mark.parametrize("route", _cases(lambda r: r.forbidden))
def test_role_without_the_action_gets_403(route):
    params = route.params()
    response = matrix.send(client_for(route.forbidden), route, params, body=route.valid_body(params))
    _error(response, 403)


@pytest.mark.django_db
@pytest.mark.parametrize("route", _cases(lambda r: r.malformed))
def test_malformed_input_gets_4xx_with_the_error_body(route):
    params = route.params()
    bad = route.malformed
    params = {**params, **bad.get("path", {})}
    response = matrix.send(
        client_for("city_admin"),
        route,
        params,
        body=bad.get("body", route.valid_body(params)),
        query=bad.get("query"),
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    _error(response)
