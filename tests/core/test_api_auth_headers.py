"""The API's answers to callers without credentials, its cache headers, and the request id it logs.

* A write without a session or with a refused token is 401 (log in / send a token), not the CSRF 403 a
  logged-in browser gets without its CSRF token.
* Every answer under /api/ says ``Cache-Control: no-store``.
* A client's ``X-Request-ID`` goes into the change log only when it looks like an id; otherwise a fresh
  one is used (and echoed).
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def team_id():
    from citywatch.resources.models import RescueTeam

    return RescueTeam.objects.order_by("pk").values_list("pk", flat=True).first()


def assert_401(response):
    assert response.status_code == 401, (response.status_code, response.content[:300])
    assert response.json()["error"]["code"] == "not_authenticated"


# --- 401, not a CSRF 403 ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_anonymous_write_is_401(method):
    client = Client(enforce_csrf_checks=True)
    path = (
        "/api/v1/resources/rescue-teams/"
        if method == "post"
        else f"/api/v1/resources/rescue-teams/{team_id()}"
    )
    response = getattr(client, method)(path, json.dumps({"name": "x"}), content_type="application/json")
    assert_401(response)


def test_revoked_token_write_is_401(user):
    from citywatch.core import actions

    token, plain = actions.create_api_token(user("city_admin"))
    client = Client(enforce_csrf_checks=True)
    path = f"/api/v1/resources/rescue-teams/{team_id()}"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    ok = client.patch(path, json.dumps({"notes": "by token"}), content_type="application/json", **headers)
    assert ok.status_code == 200, ok.content
    actions.revoke_api_token(token)
    assert_401(client.patch(path, json.dumps({"notes": "again"}), content_type="application/json", **headers))
    assert_401(
        client.post("/api/v1/resources/rescue-teams/", "{}", content_type="application/json", **headers)
    )


def test_logged_in_session_without_csrf_token_is_still_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user("city_admin"))
    response = client.patch(
        f"/api/v1/resources/rescue-teams/{team_id()}",
        json.dumps({"notes": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


# --- Cache-Control ------------------------------------------------------------------------------------


def test_api_answers_are_not_stored(city_admin, anon):
    for response in (
        city_admin.get("/api/v1/me"),
        city_admin.get("/api/v1/areas", {"level": "district"}),
        city_admin.get("/api/v1/areas/999999"),
        anon.get("/api/v1/me"),
        anon.get("/api/v1/no-such-endpoint"),
    ):
        assert response["Cache-Control"] == "no-store", (response.status_code, response.get("Cache-Control"))


def test_pages_keep_their_own_caching(city_admin):
    assert city_admin.get("/map/").get("Cache-Control") != "no-store"


# --- X-Request-ID -------------------------------------------------------------------------------------


def _patch_with_request_id(client, request_id):
    from citywatch.core.models import ObjectChange

    before = ObjectChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = client.patch(
        f"/api/v1/resources/rescue-teams/{team_id()}",
        json.dumps({"notes": f"note {before}"}),
        content_type="application/json",
        HTTP_X_REQUEST_ID=request_id,
    )
    assert response.status_code == 200, response.content
    logged = ObjectChange.objects.filter(pk__gt=before).values_list("request_id", flat=True)
    assert logged
    return response, set(logged)


@pytest.mark.parametrize("request_id", ["3f2b9c1e-8a7d-4e6f-9b0a-1c2d3e4f5a6b", "req.42_a-b", "x"])
def test_a_well_formed_request_id_is_kept(city_admin, request_id):
    response, logged = _patch_with_request_id(city_admin, request_id)
    assert logged == {request_id}
    assert response["X-Request-ID"] == request_id


@pytest.mark.parametrize(
    "request_id",
    [
        "<script>alert(1)</script>",
        "a" * 37,
        "id with spaces",
        "id;drop",
        "ünïcode",
        "line\r\nSet-Cookie: x=1",
    ],
    ids=["markup", "too-long", "spaces", "semicolon", "non-ascii", "crlf"],
)
def test_any_other_request_id_is_replaced(city_admin, request_id):
    response, logged = _patch_with_request_id(city_admin, request_id)
    (fresh,) = logged
    assert re.fullmatch(r"[0-9a-f]{32}", fresh), fresh
    assert response["X-Request-ID"] == fresh
