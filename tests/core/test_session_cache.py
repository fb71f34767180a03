"""Browser sessions are kept per process (``core.credentials.SESSIONS``) under the access version, like
bearer tokens (``test_credentials.py``), and every change of who a session is or what its user may do
takes effect at the very next request.

Each test logs a browser in, makes a request that puts the session in the process's cache, changes
something the way the application (or an administrator) does, then asks again — often from a second
browser holding the same session cookie, as another tab or a stolen cookie would: a logout, a
deactivation, a password changed by an administrator answer 401; a role taken away answers 403; a new
jurisdiction shows at once. The cache itself is shown to work (the second request reads no session,
user, area or permission row).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from citywatch.core import actions
from citywatch.core.credentials import SESSIONS, current_version
from citywatch.core.models import AdminArea, User

pytestmark = pytest.mark.django_db

HULI, SIMING = "350206", "350203"
PASSWORD = "a-long-session-password-5"
BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def officer():
    """A district officer of Huli (may read the change log), logged in in one browser; the cache empty."""
    SESSIONS.clear()
    user, _ = actions.save_user(
        username="session_officer",
        role="district_officer",
        jurisdiction=AdminArea.objects.get(code=HULI),
        password=PASSWORD,
        must_change_password=False,
    )
    browser = Client()
    browser.force_login(user, backend=BACKEND)
    yield user, browser
    SESSIONS.clear()


def same_session(browser: Client) -> Client:
    """Another browser holding the same session cookie (another tab, another process's view of it)."""
    other = Client()
    other.cookies = browser.cookies
    return other


def ok(response):
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return response.json()


def refused(response, status: int):
    assert response.status_code == status, (response.status_code, response.content[:300])


def test_a_session_is_read_once_and_then_answered_from_the_cache(officer):
    _user, browser = officer
    first = ok(browser.get("/api/v1/me"))
    assert first["role"] == "district_officer" and "core.view_objectchange" in first["permissions"]
    loads = SESSIONS.loads
    with CaptureQueriesContext(connection) as queries:
        assert ok(browser.get("/api/v1/me")) == first
        ok(browser.get("/api/v1/changes?limit=1"))
    assert SESSIONS.loads == loads
    tables = ("django_session", "core_user", "core_adminarea", "auth_permission", "auth_group")
    read = [q["sql"] for q in queries.captured_queries if any(f'FROM "{t}"' in q["sql"] for t in tables)]
    assert read == [], read


def test_pages_are_served_from_the_kept_session_too(officer):
    _user, browser = officer
    assert browser.get("/map/").status_code == 200
    loads = SESSIONS.loads
    assert browser.get("/map/").status_code == 200
    assert SESSIONS.loads == loads


def test_a_logout_ends_the_kept_session_at_once(officer):
    _user, browser = officer
    other = same_session(browser)
    ok(other.get("/api/v1/me"))
    browser.logout()  # deletes the session row
    assert not Session.objects.exists()
    refused(other.get("/api/v1/me"), 401)


def test_a_logout_through_the_page_ends_the_kept_session_at_once(officer):
    _user, browser = officer
    other = same_session(browser)
    ok(other.get("/api/v1/me"))
    browser.post("/logout/")
    refused(other.get("/api/v1/me"), 401)


def test_a_deleted_session_row_ends_the_kept_session_at_once(officer):
    _user, browser = officer
    ok(browser.get("/api/v1/me"))
    Session.objects.all().delete()  # what an operator's "log everybody out" does
    refused(browser.get("/api/v1/me"), 401)


def test_a_deactivated_user_is_refused_at_once(officer):
    user, browser = officer
    ok(browser.get("/api/v1/me"))
    user.is_active = False
    user.save()
    refused(browser.get("/api/v1/me"), 401)


def test_a_user_deactivated_by_a_bulk_update_is_refused_at_once(officer):
    user, browser = officer
    ok(browser.get("/api/v1/me"))
    User.objects.filter(pk=user.pk).update(is_active=False)
    refused(browser.get("/api/v1/me"), 401)


def test_a_password_set_by_an_administrator_ends_the_session_at_once(officer):
    user, browser = officer
    ok(browser.get("/api/v1/me"))
    actions.save_user(
        username=user.username,
        role="district_officer",
        jurisdiction=user.jurisdiction,
        password="an-administrators-choice-9",
        must_change_password=False,
    )
    refused(browser.get("/api/v1/me"), 401)


def test_a_role_taken_away_answers_403_at_once(officer):
    user, browser = officer
    ok(browser.get("/api/v1/changes?limit=1"))
    actions.save_user(
        username=user.username, role="inspector", jurisdiction=user.jurisdiction, must_change_password=False
    )
    refused(browser.get("/api/v1/changes?limit=1"), 403)
    assert ok(browser.get("/api/v1/me"))["role"] == "inspector"


def test_a_permission_removed_from_the_role_answers_403_at_once(officer):
    _user, browser = officer
    ok(browser.get("/api/v1/changes?limit=1"))
    group = Group.objects.get(name="district_officer")
    group.permissions.remove(*group.permissions.filter(codename="view_objectchange"))
    refused(browser.get("/api/v1/changes?limit=1"), 403)


def test_a_new_jurisdiction_shows_at_once(officer):
    user, browser = officer
    assert ok(browser.get("/api/v1/me"))["jurisdiction"]["code"] == HULI
    actions.save_user(
        username=user.username,
        role="district_officer",
        jurisdiction=AdminArea.objects.get(code=SIMING),
        must_change_password=False,
    )
    assert ok(browser.get("/api/v1/me"))["jurisdiction"]["code"] == SIMING


def test_another_login_in_the_same_browser_is_another_user_at_once(officer):
    _user, browser = officer
    assert ok(browser.get("/api/v1/me"))["username"] == "session_officer"
    second, _ = actions.save_user(
        username="second_officer",
        role="district_officer",
        jurisdiction=AdminArea.objects.get(code=SIMING),
        password=PASSWORD,
        must_change_password=False,
    )
    old = same_session(browser).cookies["sessionid"].value
    browser.force_login(second, backend=BACKEND)
    assert ok(browser.get("/api/v1/me"))["username"] == "second_officer"
    stale = Client()
    stale.cookies["sessionid"] = old
    refused(stale.get("/api/v1/me"), 401)


def test_without_the_version_row_nothing_is_kept(officer):
    _user, browser = officer
    from citywatch.core.models import AccessVersion

    AccessVersion.objects.all().delete()
    ok(browser.get("/api/v1/me"))
    loads = SESSIONS.loads
    ok(browser.get("/api/v1/me"))
    assert SESSIONS.loads == loads + 1
    assert current_version() is None
