"""API tokens: ``citywatch token create|list|revoke`` and ``Authorization: Bearer <token>``.

The token is printed once; only a hash is stored; revoked, expired and inactive users' tokens answer 401;
a token acts with its user's role and jurisdiction.
"""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

SIMING, HULI = "350203", "350206"
TOKEN_RE = re.compile(r"^cw_([0-9a-f]+)_([A-Za-z0-9_-]+)$")


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def create(username: str, *extra) -> tuple[str, str, str]:
    """``token create`` → (plain token, key id, secret)."""
    out, _err = run("create", username, *extra)
    lines = out.split()
    assert len(lines) == 1, out
    plain = lines[0]
    match = TOKEN_RE.match(plain)
    assert match, plain
    return plain, match.group(1), match.group(2)


def bearer(plain: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def me(plain: str):
    return Client().get("/api/v1/me", **bearer(plain))


def assert_401(response):
    assert response.status_code == 401, (response.status_code, response.content[:300])
    assert response.json()["error"]["code"] == "not_authenticated"


# --- create ---------------------------------------------------------------------------------------


def test_create_prints_the_token_once_on_stdout_and_advice_on_stderr():
    out, err = run("create", "huli_officer", "--name", "feed")
    tokens = re.findall(r"cw_[0-9a-f]+_[A-Za-z0-9_-]+", out + err)
    assert len(tokens) == 1, (out, err)
    assert out.strip() == tokens[0]
    assert tokens[0] not in err
    assert "Bearer" in err


def test_each_create_gives_a_new_token():
    a, key_a, _ = create("huli_officer")
    b, key_b, _ = create("huli_officer")
    assert a != b and key_a != key_b


def test_the_database_holds_only_a_hash():
    from citywatch.core.models import ApiToken, ObjectChange

    plain, key_id, secret = create("huli_officer", "--name", "hash check")
    token = ApiToken.objects.get(key_id=key_id)
    assert token.user.username == "huli_officer" and token.name == "hash check"
    assert len(token.secret_hash) == 64 and token.secret_hash != secret
    # Read the raw row: neither the token nor its secret is in any column.
    table = connection.ops.quote_name(ApiToken._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE key_id = %s", [key_id])  # noqa: S608
        row = cursor.fetchone()
    assert row is not None
    for cell in row:
        assert secret not in str(cell) and plain not in str(cell), cell
    # Nor in the change log.
    for change in ObjectChange.objects.all():
        text = f"{change.before} {change.after} {change.object_repr}"
        assert secret not in text


def test_unknown_username_is_a_command_error():
    with pytest.raises(CommandError, match="nobody_here"):
        run("create", "nobody_here")


def test_inactive_user_cannot_get_a_token(user):
    from citywatch.core.models import ApiToken

    u = user("inspector")
    u.is_active = False
    u.save(update_fields=["is_active"])
    before = ApiToken.objects.count()
    with pytest.raises(CommandError):
        run("create", "inspector")
    assert ApiToken.objects.count() == before


# --- use ------------------------------------------------------------------------------------------


def test_bearer_token_answers_me_with_role_and_jurisdiction():
    plain, _, _ = create("huli_officer")
    response = me(plain)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["username"] == "huli_officer"
    assert body["role"] == "district_officer"
    assert body["jurisdiction"] == {"code": HULI, "name": "湖里区", "level": "district"}


def test_city_admin_token_answers_city_wide():
    plain, _, _ = create("city_admin")
    body = me(plain).json()
    assert body["username"] == "city_admin" and body["role"] == "city_admin"
    assert body["jurisdiction"]["code"] == "350200"


def test_use_is_recorded_as_last_used():
    from citywatch.core.models import ApiToken

    plain, key_id, _ = create("huli_officer")
    assert ApiToken.objects.get(key_id=key_id).last_used_at is None
    assert me(plain).status_code == 200
    assert ApiToken.objects.get(key_id=key_id).last_used_at is not None


def test_token_is_restricted_by_jurisdiction():
    plain, _, _ = create("huli_officer")
    client = Client()
    assert client.get(f"/api/v1/areas/{HULI}", **bearer(plain)).status_code == 200
    outside = client.get(f"/api/v1/areas/{SIMING}", **bearer(plain))
    assert outside.status_code == 404
    assert outside.json()["error"]["code"] == "not_found"
    listed = client.get("/api/v1/areas", {"limit": 1000}, **bearer(plain)).json()["items"]
    assert listed and all(item["code"].startswith(HULI) for item in listed)


def test_token_does_not_log_the_client_in():
    plain, _, _ = create("huli_officer")
    client = Client()
    assert client.get("/api/v1/me", **bearer(plain)).status_code == 200
    # The next request without the header is anonymous again: no session was created.
    assert_401(client.get("/api/v1/me"))
    assert client.get("/map/").status_code == 302


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key, secret: f"cw_{key}_{secret[:-1]}",  # secret cut short
        lambda key, secret: f"cw_{key}_{secret}x",  # secret too long
        lambda key, secret: f"cw_{key}_{secret.swapcase()}",  # wrong secret
        lambda key, secret: f"cw_{'0' * len(key)}_{secret}",  # wrong key id
        lambda key, secret: f"xx_{key}_{secret}",  # wrong prefix
        lambda key, secret: f"cw_{key}x_{secret}",  # key id with a suffix
        lambda key, secret: f"cw_{key}_",  # no secret
        lambda key, secret: secret,  # the secret alone
    ],
    ids=["short", "long", "wrong-secret", "wrong-key", "prefix", "key-suffix", "no-secret", "secret-only"],
)
def test_altered_token_is_401(mangle):
    _, key_id, secret = create("huli_officer")
    assert_401(me(mangle(key_id, secret)))


def test_session_user_is_used_when_no_token(huli):
    assert huli.get("/api/v1/me").json()["username"] == "huli_officer"


# --- revoke, expiry, inactive users ---------------------------------------------------------------


def test_revoked_token_is_401():
    from citywatch.core.models import ApiToken

    plain, key_id, _ = create("huli_officer")
    assert me(plain).status_code == 200
    out, _ = run("revoke", key_id)
    assert key_id in out
    assert ApiToken.objects.get(key_id=key_id).revoked_at is not None
    assert_401(me(plain))


def test_revoking_one_token_leaves_the_others():
    a, key_a, _ = create("huli_officer")
    b, _, _ = create("huli_officer")
    run("revoke", key_a)
    assert_401(me(a))
    assert me(b).status_code == 200


def test_revoking_twice_keeps_the_first_time():
    from citywatch.core.models import ApiToken

    _, key_id, _ = create("huli_officer")
    run("revoke", key_id)
    first = ApiToken.objects.get(key_id=key_id).revoked_at
    run("revoke", key_id)
    assert ApiToken.objects.get(key_id=key_id).revoked_at == first


def test_revoke_unknown_key_is_a_command_error():
    with pytest.raises(CommandError, match="ffffffffffff"):
        run("revoke", "ffffffffffff")


def test_expired_token_is_401():
    from citywatch.core.models import ApiToken

    plain, key_id, _ = create("huli_officer")
    assert me(plain).status_code == 200
    ApiToken.objects.filter(key_id=key_id).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert_401(me(plain))


def test_token_expiring_later_still_works():
    from citywatch.core.models import ApiToken

    plain, key_id, _ = create("huli_officer")
    ApiToken.objects.filter(key_id=key_id).update(expires_at=timezone.now() + datetime.timedelta(days=1))
    assert me(plain).status_code == 200


def test_inactive_users_token_is_401(user):
    plain, _, _ = create("huli_officer")
    assert me(plain).status_code == 200
    u = user("huli_officer")
    u.is_active = False
    u.save(update_fields=["is_active"])
    assert_401(me(plain))
    assert_401(Client().get(f"/api/v1/areas/{HULI}", **bearer(plain)))


def test_deleted_users_token_is_401(user):
    plain, _, _ = create("team_leader")
    assert me(plain).status_code == 200
    user("team_leader").delete()
    assert_401(me(plain))


# --- list -----------------------------------------------------------------------------------------


def test_list_never_prints_the_secret():
    plain, key_id, secret = create("huli_officer", "--name", "listed")
    revoked, revoked_key, revoked_secret = create("huli_officer")
    run("revoke", revoked_key)
    out, err = run("list")
    assert key_id in out and revoked_key in out
    for text in (plain, secret, revoked, revoked_secret):
        assert text not in out and text not in err
    lines = {line.split("\t")[0]: line for line in out.splitlines()}
    assert lines[key_id].split("\t")[1:3] == ["huli_officer", "listed"]
    assert lines[key_id].endswith("active") and not lines[key_id].endswith("inactive")
    assert lines[revoked_key].endswith("revoked")


def test_list_shows_expired_tokens_as_expired():
    from citywatch.core.models import ApiToken

    _, key_id, _ = create("huli_officer")
    ApiToken.objects.filter(key_id=key_id).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    out, _ = run("list", "huli_officer")
    (line,) = [line for line in out.splitlines() if line.startswith(key_id)]
    assert line.endswith("expired")


def test_list_for_one_user():
    _, huli_key, _ = create("huli_officer")
    _, admin_key, _ = create("city_admin")
    out, _ = run("list", "huli_officer")
    assert huli_key in out and admin_key not in out
    assert all(line.split("\t")[1] == "huli_officer" for line in out.splitlines())
