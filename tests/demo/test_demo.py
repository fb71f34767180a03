"""The demo city loads deterministically and idempotently."""

import io

import pytest
from django.core.management import call_command

from citywatch.core.models import AdminArea, ObjectChange, User
from citywatch.demo.loader import DEMO_USERS, load_demo

pytestmark = pytest.mark.django_db


def test_second_load_changes_nothing():
    points = dict(AdminArea.objects.values_list("code", "point"))
    before = ObjectChange.objects.count()
    result = load_demo(with_incidents=False, with_monitoring=False)  # as the session loaded it
    assert result.areas_report.created == 0 and result.areas_report.updated == 0
    assert result.points_placed == 0
    assert ObjectChange.objects.count() == before
    assert dict(AdminArea.objects.values_list("code", "point")) == points


def test_synthetic_points_lie_in_their_district():
    for district in AdminArea.objects.filter(level="district"):
        streets = AdminArea.objects.filter(parent=district)
        assert streets.exists()
        for street in streets:
            assert street.point_source == "synthetic"
            assert district.boundary.contains(street.point), street


def test_demo_users_have_roles_and_jurisdictions():
    for username, role, code, _ in DEMO_USERS:
        u = User.objects.get(username=username)
        assert u.role == role and u.jurisdiction.code == code and u.has_usable_password()


def test_load_only_prints_the_logins():
    out = io.StringIO()
    call_command("demo", "--load-only", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text and "siming_officer" in text and "huli_officer" in text
    assert "未变 616 条" in text
