"""Accounts: every user changes their own password; an administrator issues a one-time reset link (no
e-mail); a password someone else chose must be changed at the next login; a password change revokes
the user's API tokens (unless CITYWATCH_KEEP_TOKENS_ON_PASSWORD_CHANGE); passwords never reach the
change log. The demo users are never forced to change their (published) password.
"""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.support.personas import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Harbour-Lights-2026"
ADMIN_SET = "Temporary-Key-8841"


def login(username, password):
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    return client, response


def token_for(username):
    from citywatch.core import actions
    from citywatch.core.models import User

    _token, plain = actions.create_api_token(User.objects.get(username=username))
    return plain


def api_me(plain):
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plain}")


def change(client, old, new, next_url=""):
    data = {"old_password": old, "new_password1": new, "new_password2": new}
    if next_url:
        data["next"] = next_url
    return client.post("/account/password/", data)


def new_user(username="newbie", password=ADMIN_SET, role="inspector"):
    from citywatch.core import actions
    from citywatch.core.models import AdminArea

    user, _ = actions.save_user(
        username=username, role=role, jurisdiction=AdminArea.objects.get(code="350200"), password=password
    )
    return user


def refreshed(username):
    from citywatch.core.models import User

    return User.objects.get(username=username)


def reset_link(username) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("user", "reset-link", username, stdout=out, stderr=err)
    return out.getvalue().strip()


# --- The change page, for every user ------------------------------------------------------------------


@pytest.mark.parametrize("username", ["team_leader", "inspector", "siming_officer", "city_admin"])
def test_every_user_can_change_their_own_password(username):
    client, response = login(username, DEMO_PASSWORD)
    assert response.status_code == 302
    page = client.get("/account/password/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "修改密码" in text and "Change password" not in text
    assert "API 令牌" in text and "API tokens" not in text
    response = change(client, DEMO_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.get("/api/v1/me").json()["username"] == username  # this session goes on
    assert login(username, NEW_PASSWORD)[1].status_code == 302
    assert "_auth_user_id" not in login(username, DEMO_PASSWORD)[0].session


def test_the_top_bar_links_to_the_change_page(siming):
    assert 'href="/account/password/"' in siming.get("/map/").content.decode()


def test_a_wrong_old_password_or_a_weak_new_one_changes_nothing(user):
    client, _ = login("huli_officer", DEMO_PASSWORD)
    before = user("huli_officer").password
    wrong = change(client, "not-my-password", NEW_PASSWORD)
    assert wrong.status_code == 200 and "旧密码不正确" in wrong.content.decode()
    weak = change(client, DEMO_PASSWORD, "12345678")
    assert weak.status_code == 200
    assert "密码太短" in weak.content.decode() or "过于常见" in weak.content.decode()
    assert user("huli_officer").password == before


def test_other_sessions_end_when_the_password_changes():
    mine, _ = login("duty_officer", DEMO_PASSWORD)
    other, _ = login("duty_officer", DEMO_PASSWORD)
    assert other.get("/api/v1/me").status_code == 200
    change(mine, DEMO_PASSWORD, NEW_PASSWORD)
    assert other.get("/api/v1/me").status_code == 401
    assert mine.get("/api/v1/me").status_code == 200


def test_the_change_page_needs_a_login(anon):
    response = anon.get("/account/password/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- API tokens on a password change ------------------------------------------------------------------


def test_a_password_change_revokes_the_users_tokens():
    mine, others = token_for("inspector"), token_for("commander")
    assert api_me(mine).status_code == 200
    client, _ = login("inspector", DEMO_PASSWORD)
    change(client, DEMO_PASSWORD, NEW_PASSWORD)
    assert api_me(mine).status_code == 401
    assert api_me(others).status_code == 200


def test_tokens_can_be_kept_by_setting(settings):
    settings.CITYWATCH_KEEP_TOKENS_ON_PASSWORD_CHANGE = True
    mine = token_for("inspector")
    client, _ = login("inspector", DEMO_PASSWORD)
    change(client, DEMO_PASSWORD, NEW_PASSWORD)
    assert api_me(mine).status_code == 200


def test_any_password_change_revokes_tokens_but_a_hash_upgrade_does_not(settings, user):
    plain = token_for("inspector")
    # Logging in with a password stored under an older hasher re-hashes it: not a password change.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert login("inspector", DEMO_PASSWORD)[1].status_code == 302
    assert user("inspector").password.startswith("pbkdf2_")
    assert api_me(plain).status_code == 200
    # A change from a shell or `changepassword` is one.
    u = user("inspector")
    u.set_password(NEW_PASSWORD)
    u.save()
    assert api_me(plain).status_code == 401


# --- A password someone else chose must be changed ----------------------------------------------------


def test_a_new_account_must_change_its_password_before_anything_else():
    new_user()
    assert refreshed("newbie").must_change_password
    plain = token_for("newbie")
    client, response = login("newbie", ADMIN_SET)
    assert response.status_code == 302
    for path in ("/map/", "/resources/", "/admin/", "/incidents/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/account/password/?next="), response["Location"]
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["error"]["code"] == "password_change_required"
    # Tokens are an operator's grant to a machine: unaffected until the password changes.
    assert api_me(plain).status_code == 200
    page = client.get("/account/password/?next=/resources/")
    assert "设置" in page.content.decode() or "管理员" in page.content.decode()
    response = change(client, ADMIN_SET, NEW_PASSWORD, next_url="/resources/")
    assert response.status_code == 302 and response["Location"] == "/resources/"
    assert not refreshed("newbie").must_change_password
    assert client.get("/map/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200
    assert api_me(plain).status_code == 401


def test_the_forced_change_ignores_an_unsafe_next():
    new_user()
    client, _ = login("newbie", ADMIN_SET)
    response = change(client, ADMIN_SET, NEW_PASSWORD, next_url="https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "/map/"


def test_log_out_and_language_stay_reachable_during_a_forced_change():
    new_user()
    client, _ = login("newbie", ADMIN_SET)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/account/password/"}).status_code == 302
    assert client.post("/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_demo_users_are_never_forced_to_change():
    from citywatch.core.models import User
    from citywatch.demo.loader import DEMO_USERS, load_people

    names = [u[0] for u in DEMO_USERS]
    assert not User.objects.filter(username__in=names, must_change_password=True).exists()
    load_people("a-new-demo-password-1")  # a re-load with another password keeps it so
    assert not User.objects.filter(username__in=names, must_change_password=True).exists()
    client, response = login("city_admin", "a-new-demo-password-1")
    assert response["Location"] == "/map/" and client.get("/map/").status_code == 200


def test_an_account_made_in_the_admin_must_change_its_password(city_admin):
    response = city_admin.post(
        "/admin/core/user/add/",
        {"username": "fromadmin", "usable_password": "true", "password1": ADMIN_SET, "password2": ADMIN_SET},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert refreshed("fromadmin").must_change_password


def test_a_password_an_administrator_sets_must_be_changed(city_admin, user):
    target = user("inspector")
    response = city_admin.post(
        f"/admin/core/user/{target.pk}/password/",
        {"usable_password": "true", "password1": ADMIN_SET, "password2": ADMIN_SET},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert refreshed("inspector").must_change_password
    client, _ = login("inspector", ADMIN_SET)
    assert client.get("/map/")["Location"].startswith("/account/password/")


# --- Reset links ----------------------------------------------------------------------------------------


def use_link(link, password=NEW_PASSWORD):
    client = Client()
    path = re.sub(r"^https?://[^/]+", "", link)
    first = client.get(path)
    if first.status_code != 302:
        return first
    assert "set-password" in first["Location"] and path.rstrip("/").split("/")[-1] not in first["Location"]
    return client.post(first["Location"], {"new_password1": password, "new_password2": password})


def test_a_reset_link_from_the_command_line_sets_a_new_password(settings):
    settings.CITYWATCH_BASE_URL = "https://citywatch.example.org/"
    plain = token_for("team_leader")
    link = reset_link("team_leader")
    assert re.fullmatch(r"https://citywatch\.example\.org/account/reset/[\w-]+/[\w-]+/", link), link
    response = use_link(link)
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert login("team_leader", NEW_PASSWORD)[1].status_code == 302
    assert api_me(plain).status_code == 401
    # Once only.
    again = use_link(link, "Another-Password-77")
    assert again.status_code == 200 and "这个链接无法使用" in again.content.decode()
    assert login("team_leader", NEW_PASSWORD)[1].status_code == 302


def test_a_newer_link_voids_the_older_one():
    older = reset_link("inspector")
    newer = reset_link("inspector")
    assert use_link(older).status_code == 200
    assert use_link(newer).status_code == 302


def test_a_link_expires(monkeypatch, settings):
    from citywatch.core.actions import ResetLinkTokens

    link = reset_link("inspector")
    later = datetime.datetime.now() + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    monkeypatch.setattr(ResetLinkTokens, "_now", lambda self: later)
    assert use_link(link).status_code == 200
    assert refreshed("inspector").check_password(DEMO_PASSWORD)


def test_a_link_chosen_password_clears_the_forced_change():
    new_user()
    response = use_link(reset_link("newbie"))
    assert response.status_code == 302
    assert not refreshed("newbie").must_change_password


def test_a_reset_link_must_still_satisfy_the_password_rules():
    response = use_link(reset_link("inspector"), "12345678")
    assert response.status_code == 200 and "密码" in response.content.decode()
    assert refreshed("inspector").check_password(DEMO_PASSWORD)


def test_no_link_for_an_inactive_or_unknown_user(user):
    u = user("inspector")
    link = reset_link("inspector")
    u.is_active = False
    u.save(update_fields=["is_active"])
    assert use_link(link).status_code == 200
    with pytest.raises(CommandError):
        reset_link("inspector")
    with pytest.raises(CommandError, match="nobody"):
        reset_link("nobody")


def test_an_administrator_issues_a_link_from_the_users_admin_page(city_admin, user):
    target = user("huli_officer")
    page = city_admin.get(f"/admin/core/user/{target.pk}/change/")
    assert f"/admin/core/user/{target.pk}/reset-link/" in page.content.decode()
    ask = city_admin.get(f"/admin/core/user/{target.pk}/reset-link/")
    assert ask.status_code == 200 and "/account/reset/" not in ask.content.decode()
    assert "签发" in ask.content.decode() and "Issue a" not in ask.content.decode()
    shown = city_admin.post(f"/admin/core/user/{target.pk}/reset-link/")
    assert shown.status_code == 200
    assert "请当面" in shown.content.decode() and "Give this link" not in shown.content.decode()
    (link,) = re.findall(r'value="(http://testserver/account/reset/[^"]+)"', shown.content.decode())
    assert use_link(link).status_code == 302
    assert login("huli_officer", NEW_PASSWORD)[1].status_code == 302


def test_links_only_for_users_one_may_change(city_admin, siming, user):
    from citywatch.core.models import User

    boss = User.objects.create_superuser("root", password="Root-Password-123")
    assert city_admin.post(f"/admin/core/user/{boss.pk}/reset-link/").status_code == 403
    target = user("huli_officer")
    response = siming.post(f"/admin/core/user/{target.pk}/reset-link/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- The change log -------------------------------------------------------------------------------------


def test_password_events_are_logged_without_the_password(user):
    from citywatch.core.models import ObjectChange

    before = ObjectChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    link = reset_link("commander")
    use_link(link)
    client, _ = login("commander", NEW_PASSWORD)
    change(client, NEW_PASSWORD, "Yet-Another-Secret-55")
    rows = list(ObjectChange.objects.filter(pk__gt=before, object_id=str(user("commander").pk)))
    fields = {key for row in rows for key in (row.after or {})}
    changed = [
        set(k for k in (r.after or {}) if (r.before or {}).get(k) != (r.after or {}).get(k)) for r in rows
    ]
    assert {"password_reset_issued_at"} in changed and any("password_changed_at" in c for c in changed)
    assert "password" not in fields
    hashed = user("commander").password
    for row in ObjectChange.objects.filter(pk__gt=before):
        text = f"{row.before} {row.after} {row.object_repr}"
        for secret in (NEW_PASSWORD, "Yet-Another-Secret-55", hashed, link.rstrip("/").split("/")[-1]):
            assert secret not in text
