"""The change log: who, when, what, before and after; read-only; restricted like the objects."""

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point

from citywatch.core import actions
from citywatch.core.changelog import acting_as
from citywatch.core.choices import ChangeSource
from citywatch.core.models import AdminArea, ObjectChange, Organisation
from citywatch.core.models.changes import ReadOnlyError

pytestmark = pytest.mark.django_db


def latest(**filters):
    return ObjectChange.objects.filter(**filters).order_by("-id").first()


def test_create_update_delete_are_recorded_with_actor(user):
    admin = user("city_admin")
    siming = AdminArea.objects.get(code="350203")
    with acting_as(admin, "web", "req-1"):
        org, _ = actions.save_organisation(name="思明区防汛办", kind="department", area=siming)
        actions.save_organisation(
            name="思明区防汛办", kind="agency", area=siming, contact_phone="0592-1234567"
        )
        org.refresh_from_db()
        pk = org.pk
        org.delete()
    rows = list(
        ObjectChange.objects.filter(object_id=str(pk), content_type__model="organisation").order_by("id")
    )
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert all(r.user == admin and r.user_name == "city_admin" and r.source == "web" for r in rows)
    assert rows[0].before is None and rows[0].after["name"] == "思明区防汛办"
    assert rows[1].before["kind"] == "department" and rows[1].after["kind"] == "agency"
    assert set(rows[1].changed_fields()) == {"kind", "contact_phone"}
    assert rows[2].after is None and rows[2].before["contact_phone"] == "0592-1234567"
    assert all(r.area_path == siming.path for r in rows)


def test_saving_without_a_change_writes_nothing():
    area = AdminArea.objects.get(code="350203001")
    before = ObjectChange.objects.count()
    area.save()
    assert ObjectChange.objects.count() == before


def test_geometry_changes_are_logged():
    area = AdminArea.objects.get(code="350203001")
    old = area.point
    actions.save_area(code=area.code, point=Point(118.08, 24.45, srid=4326))
    change = latest(object_id=str(area.pk), content_type__model="adminarea")
    assert change.before["point"]["wkt"] == old.wkt
    assert change.after["point"]["wkt"].startswith("POINT (118.08 24.45")


def test_large_geometries_are_summarised_with_a_hash():
    from citywatch.core.changelog import MAX_LOGGED_VERTICES

    area = max(AdminArea.objects.filter(level="district"), key=lambda a: a.boundary.num_coords)
    assert area.boundary.num_coords > MAX_LOGGED_VERTICES
    change = ObjectChange.objects.filter(
        object_id=str(area.pk), content_type__model="adminarea", action="create"
    ).get()
    assert change.after["boundary"]["type"] == "MultiPolygon"
    assert len(change.after["boundary"]["sha256"]) == 64


def test_passwords_are_never_logged(user):
    u = user("inspector")
    actions.save_user(
        username=u.username, role=u.role, jurisdiction=u.jurisdiction, password="another-password-1"
    )
    for change in ObjectChange.objects.filter(content_type__model="user", object_id=str(u.pk)):
        assert "password" not in (change.before or {}) and "password" not in (change.after or {})


def test_role_change_logs_group_membership(user):
    u = user("team_leader")
    actions.save_user(username=u.username, role="inspector", jurisdiction=u.jurisdiction)
    u.refresh_from_db()
    assert [g.name for g in u.groups.all()] == ["inspector"]
    change = latest(content_type__model="user", object_id=str(u.pk))
    assert change.after.get("groups") is not None


def test_the_log_cannot_be_edited_or_deleted():
    change = ObjectChange.objects.first()
    change.object_repr = "tampered"
    with pytest.raises(ReadOnlyError):
        change.save()
    with pytest.raises(ReadOnlyError):
        change.delete()
    with pytest.raises(ReadOnlyError):
        ObjectChange.objects.filter(pk=change.pk).update(object_repr="tampered")
    with pytest.raises(ReadOnlyError):
        ObjectChange.objects.all().delete()


def test_admin_offers_no_way_to_change_the_log(city_admin):
    change = ObjectChange.objects.first()
    assert city_admin.get(f"/admin/core/objectchange/{change.pk}/delete/").status_code in (302, 403)
    response = city_admin.post(f"/admin/core/objectchange/{change.pk}/change/", {"object_repr": "x"})
    assert response.status_code in (302, 403)
    change.refresh_from_db()
    assert change.object_repr != "x"


def test_edit_through_admin_is_logged_as_the_user(city_admin, user):
    org = Organisation.objects.get(name="思明区应急管理局")
    response = city_admin.post(
        f"/admin/core/organisation/{org.pk}/change/",
        {
            "name": org.name,
            "kind": "agency",
            "area": org.area_id,
            "parent": org.parent_id or "",
            "contact_phone": "",
            "external_id": "",
        },
    )
    assert response.status_code == 302, response.content[:500]
    change = latest(content_type__model="organisation", object_id=str(org.pk))
    assert change.user == user("city_admin") and change.source == "web" and change.after["kind"] == "agency"
    assert change.request_id


def test_api_changes_are_restricted_by_jurisdiction(siming, huli, city_admin):
    siming_area = AdminArea.objects.get(code="350203")
    huli_area = AdminArea.objects.get(code="350206")

    def history(client, area):
        params = {"model": "core.adminarea", "object_id": str(area.pk)}
        return client.get("/api/v1/changes", params).json()["count"]

    assert history(siming, siming_area) >= 1 and history(siming, huli_area) == 0
    assert history(huli, huli_area) >= 1 and history(huli, siming_area) == 0
    items = siming.get("/api/v1/changes", {"limit": 1000}).json()["items"]
    assert items and all(
        ObjectChange.objects.get(pk=i["id"]).area_path.startswith(siming_area.path) for i in items
    )
    total = city_admin.get("/api/v1/changes", {"limit": 1}).json()["count"]
    assert total == ObjectChange.objects.count()


def test_roles_without_the_permission_are_refused_the_changes(inspector):
    response = inspector.get("/api/v1/changes")
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_change_filters(city_admin):
    body = city_admin.get(
        "/api/v1/changes", {"model": "core.adminarea", "action": "create", "q": "思明区"}
    ).json()
    assert body["count"] >= 1
    assert all(i["model"] == "core.adminarea" and i["action"] == "create" for i in body["items"])


def test_change_pages(city_admin, siming):
    response = city_admin.get("/changes/", {"q": "思明区"})
    assert response.status_code == 200 and "思明区" in response.content.decode()
    change = ObjectChange.objects.filter(area_path__startswith="350200.350206.").first()
    assert city_admin.get(f"/changes/{change.pk}/").status_code == 200
    assert siming.get(f"/changes/{change.pk}/").status_code == 404
    area_page = siming.get("/areas/350203/").content.decode()
    assert "思明区" in area_page


def test_admin_history_shows_the_change_log(city_admin):
    area = AdminArea.objects.get(code="350203")
    response = city_admin.get(f"/admin/core/adminarea/{area.pk}/history/")
    assert response.status_code == 200
    first = ObjectChange.objects.filter(object_id=str(area.pk), content_type__model="adminarea").first()
    assert f"/changes/{first.pk}/" in response.content.decode()


def city_admin_user():
    from citywatch.core.models import User

    return User.objects.get(username="city_admin")


def test_change_pages_name_fields_in_the_users_language(city_admin):
    area = AdminArea.objects.get(code="350203")
    with acting_as(city_admin_user(), ChangeSource.WEB):
        actions.save_area(code=area.code, name="思明区（改名测试）")
    change = ObjectChange.objects.filter(object_id=str(area.pk)).order_by("-id").first()
    assert change.changed_fields() == ["name"]
    page = city_admin.get("/changes/", {"q": "改名测试"}).content.decode()
    assert "<td>名称</td>" in page  # the field's verbose name, translated; not "name"
    detail = city_admin.get(f"/changes/{change.pk}/").content.decode()
    assert "<th>名称</th>" in detail
    city_admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = city_admin.get(f"/changes/{change.pk}/").content.decode()
    assert "<th>name</th>" in english


def test_change_detail_shows_choice_labels_and_made_up_field_names(city_admin):
    from citywatch.incidents import actions as incident_actions
    from tests.support.builders import new_incident

    incident = new_incident()
    incident_actions.transition(incident, "verify", city_admin_user())
    change = ObjectChange.objects.filter(object_id=str(incident.pk), action="update").order_by("-id").first()
    page = city_admin.get(f"/changes/{change.pk}/").content.decode()
    assert "<code>已核实</code>" in page and "<code>verified</code>" not in page
    assert "<th>接报人</th>" in page  # reported_by has no verbose name of its own
