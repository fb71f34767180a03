"""Bearer tokens are kept per process (``core.credentials``) under the access version, and every change
of who a token is or what its user may do takes effect at the very next request.

Each test first makes a request that puts the token in the process's cache, then changes something the
way the application (or an administrator's script) does, then asks again: a revoked token, a password
change, a deactivated user answer 401; a role taken away, a group's permission removed answer 403; a
new jurisdiction is the one the next answer shows. The cache itself is shown to work (the second
request reads no token, user, area or permission row).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from citywatch.core import actions
from citywatch.core.credentials import CREDENTIALS, current_version
from citywatch.core.models import AccessVersion, AdminArea, ApiToken, User

pytestmark = pytest.mark.django_db

HULI, SIMING = "350206", "350203"


@pytest.fixture
def officer():
    """A district officer of Huli (may read the change log) with a token, the cache empty."""
    CREDENTIALS.clear()
    user, _ = actions.save_user(
        username="cache_officer",
        role="district_officer",
        jurisdiction=AdminArea.objects.get(code=HULI),
        must_change_password=False,
    )
    token, plain = actions.create_api_token(user)
    yield user, token, plain
    CREDENTIALS.clear()


def get(plain: str, path: str = "/api/v1/me"):
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {plain}")


def ok(response):
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return response.json()


def refused(response, status: int):
    assert response.status_code == status, (response.status_code, response.content[:300])


def test_a_token_is_read_once_and_then_answered_from_the_cache(officer):
    _user, _token, plain = officer
    first = ok(get(plain))
    assert first["role"] == "district_officer" and "core.view_objectchange" in first["permissions"]
    loads = CREDENTIALS.loads
    with CaptureQueriesContext(connection) as queries:
        assert ok(get(plain)) == first
        ok(get(plain, "/api/v1/changes?limit=1"))
    assert CREDENTIALS.loads == loads
    tables = ("core_apitoken", "core_user", "core_adminarea", "auth_permission", "auth_group")
    read = [q["sql"] for q in queries.captured_queries if any(f'FROM "{t}"' in q["sql"] for t in tables)]
    assert read == [], read


def test_a_wrong_secret_is_refused_even_when_the_token_is_kept(officer):
    _user, _token, plain = officer
    ok(get(plain))
    prefix, key_id, secret = plain.split("_", 2)
    refused(get(f"{prefix}_{key_id}_{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"), 401)
    ok(get(plain))


def test_a_revoked_token_is_refused_at_once(officer):
    _user, token, plain = officer
    ok(get(plain))
    actions.revoke_api_token(token)
    refused(get(plain), 401)


def test_tokens_revoked_in_bulk_are_refused_at_once(officer):
    user, _token, plain = officer
    ok(get(plain))
    assert actions.revoke_user_tokens(user) == 1  # a queryset update: no signal
    refused(get(plain), 401)


def test_a_password_change_revokes_the_kept_token_at_once(officer):
    user, _token, plain = officer
    ok(get(plain))
    actions.set_own_password(user, "a-new-and-long-password-7")
    refused(get(plain), 401)


def test_a_deactivated_user_is_refused_at_once(officer):
    user, _token, plain = officer
    ok(get(plain))
    user.is_active = False
    user.save()
    refused(get(plain), 401)


def test_a_user_deactivated_by_a_bulk_update_is_refused_at_once(officer):
    user, _token, plain = officer
    ok(get(plain))
    User.objects.filter(pk=user.pk).update(is_active=False)
    refused(get(plain), 401)


def test_a_role_taken_away_answers_403_at_once(officer):
    user, _token, plain = officer
    ok(get(plain, "/api/v1/changes?limit=1"))
    actions.save_user(
        username=user.username, role="inspector", jurisdiction=user.jurisdiction, must_change_password=False
    )
    refused(get(plain, "/api/v1/changes?limit=1"), 403)
    assert ok(get(plain))["role"] == "inspector"


def test_a_permission_removed_from_the_role_answers_403_at_once(officer):
    _user, _token, plain = officer
    ok(get(plain, "/api/v1/changes?limit=1"))
    group = Group.objects.get(name="district_officer")
    group.permissions.remove(*group.permissions.filter(codename="view_objectchange"))
    refused(get(plain, "/api/v1/changes?limit=1"), 403)


def test_a_user_taken_out_of_their_group_answers_403_at_once(officer):
    user, _token, plain = officer
    ok(get(plain, "/api/v1/changes?limit=1"))
    user.groups.clear()
    refused(get(plain, "/api/v1/changes?limit=1"), 403)


def test_a_new_jurisdiction_shows_at_once(officer):
    user, _token, plain = officer
    assert ok(get(plain))["jurisdiction"]["code"] == HULI
    actions.save_user(
        username=user.username,
        role="district_officer",
        jurisdiction=AdminArea.objects.get(code=SIMING),
        must_change_password=False,
    )
    assert ok(get(plain))["jurisdiction"]["code"] == SIMING


def test_a_renamed_jurisdiction_shows_at_once(officer):
    _user, _token, plain = officer
    ok(get(plain))
    AdminArea.objects.filter(code=HULI).update(name="湖里新区")  # a queryset update: no signal
    assert ok(get(plain))["jurisdiction"]["name"] == "湖里新区"


def test_recording_a_tokens_use_does_not_empty_the_cache(officer):
    _user, token, plain = officer
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=None)
    before = current_version()
    ok(get(plain))  # writes last_used_at
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    assert current_version() == before


def test_a_request_gets_its_own_copy_of_the_user(officer):
    _user, _token, plain = officer
    ok(get(plain))
    entry = CREDENTIALS.get(plain.split("_", 2)[1])
    one, two = entry.request_user(), entry.request_user()
    assert one is not two and one.jurisdiction is not two.jurisdiction
    one.first_name = "changed"
    one.jurisdiction.name = "changed"
    assert entry.request_user().first_name != "changed"
    assert entry.request_user().jurisdiction.name != "changed"


def test_without_the_version_row_nothing_is_kept(officer):
    _user, _token, plain = officer
    AccessVersion.objects.all().delete()
    ok(get(plain))
    loads = CREDENTIALS.loads
    ok(get(plain))
    assert CREDENTIALS.loads == loads + 1


def test_a_request_knows_the_access_version_it_was_authenticated_under(officer):
    """``version_seen``: what the token check read (the nearby answers' key uses it instead of reading the
    number again); a user not authenticated that way gets the version now."""
    from citywatch.core.credentials import version_seen

    _user, _token, plain = officer
    ok(get(plain))
    entry, version = CREDENTIALS.lookup(plain.split("_", 2)[1])
    assert version == current_version() and version_seen(entry.request_user(version)) == version
    assert version_seen(User()) == current_version()
