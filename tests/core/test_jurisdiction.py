"""``restrict(user, action)``: the role says what, the jurisdiction says where."""

import pytest

from citywatch.core import actions
from citywatch.core.models import AdminArea, Organisation, User

pytestmark = pytest.mark.django_db


def test_district_officer_sees_own_subtree_only(user):
    qs = AdminArea.objects.restrict(user("siming_officer"))
    assert qs.count() == AdminArea.objects.filter(path__startswith="350200.350203.").count()
    assert not qs.filter(code="350206").exists()


def test_city_user_sees_everything(user):
    assert AdminArea.objects.restrict(user("duty_officer")).count() == AdminArea.objects.count()


def test_no_jurisdiction_sees_nothing():
    lost, _ = actions.save_user(username="lost", role="duty_officer", jurisdiction=None)
    assert AdminArea.objects.restrict(lost).count() == 0


def test_superuser_sees_everything():
    root = User.objects.create_superuser("root", password="a-long-password-1")
    assert AdminArea.objects.restrict(root).count() == AdminArea.objects.count()


def test_inactive_and_anonymous_see_nothing(user):
    from django.contrib.auth.models import AnonymousUser

    u = user("siming_officer")
    u.is_active = False
    assert AdminArea.objects.restrict(u).count() == 0
    assert AdminArea.objects.restrict(AnonymousUser()).count() == 0


def test_action_needs_the_permission(user):
    # District officers may view areas but not change them; city admins may.
    assert AdminArea.objects.restrict(user("siming_officer"), "change").count() == 0
    assert AdminArea.objects.restrict(user("city_admin"), "change").count() == AdminArea.objects.count()


def test_organisations_follow_their_area(user):
    visible = set(Organisation.objects.restrict(user("huli_officer")).values_list("name", flat=True))
    assert visible == {"湖里区应急管理局"}
    assert "湖里区应急管理局" not in set(
        Organisation.objects.restrict(user("siming_officer")).values_list("name", flat=True)
    )


def test_roles_are_groups(user):
    for username, role in [
        ("city_admin", "city_admin"),
        ("siming_officer", "district_officer"),
        ("team_leader", "team_leader"),
    ]:
        assert [g.name for g in user(username).groups.all()] == [role]
    assert user("city_admin").has_perm("core.change_adminarea")
    assert not user("siming_officer").has_perm("core.change_adminarea")


def test_unknown_role_is_refused():
    with pytest.raises(actions.ActionError, match="未知角色"):
        actions.save_user(username="x", role="emperor", jurisdiction=None)
    assert not User.objects.filter(username="x").exists()


def test_me_endpoint(siming):
    body = siming.get("/api/v1/me").json()
    assert body["username"] == "siming_officer" and body["role"] == "district_officer"
    assert body["jurisdiction"] == {"code": "350203", "name": "思明区", "level": "district"}
    assert "core.view_adminarea" in body["permissions"]
