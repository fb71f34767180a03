"""Security baseline: deploy checks, login rate limit, CSRF, hashed passwords."""

import os
import subprocess
import sys

import pytest

from tests.support.personas import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "CITYWATCH_DATA_DIR": str(tmp_path),
        "CITYWATCH_DEBUG": "false",
        "CITYWATCH_HTTPS": "true",
        "CITYWATCH_SECRET_KEY": "x" * 20 + "a-production-secret-that-is-long-and-random-9f8e7d6c5b4a",
        "CITYWATCH_ALLOWED_HOSTS": "citywatch.example.org",
    }
    result = subprocess.run(
        [sys.executable, "-m", "citywatch.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_login_is_rate_limited(anon):
    for _ in range(4):
        response = anon.post("/login/", {"username": "siming_officer", "password": "wrong-password"})
        assert response.status_code == 200
    # The fifth failure locks this username from this address.
    assert (
        anon.post("/login/", {"username": "siming_officer", "password": "wrong-password"}).status_code == 429
    )
    locked = anon.post("/login/", {"username": "siming_officer", "password": DEMO_PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in anon.session


def test_login_with_the_right_password(anon):
    response = anon.post("/login/", {"username": "siming_officer", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/map/"  # a team leader: /m/dispatches/
    assert anon.get("/api/v1/me").json()["username"] == "siming_officer"


def test_passwords_are_hashed(user):
    assert DEMO_PASSWORD not in user("siming_officer").password


def test_session_api_writes_need_csrf(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user("city_admin"))
    response = client.post("/api/v1/areas", {}, content_type="application/json")
    assert response.status_code in (403, 405)
    assert "error" in response.json()


def test_logout_needs_post(siming):
    assert siming.get("/logout/").status_code == 405
    assert siming.post("/logout/").status_code == 302
