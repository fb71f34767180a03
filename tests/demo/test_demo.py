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


def test_the_load_speaks_the_interface_language_without_code_names():
    """The terminal summary is translated like the pages (zh-Hans by default): no English words, no
    code names (``land_teams``, ``rain_gauges``); the logins name their roles."""
    import re

    from django.utils import translation

    out = io.StringIO()
    call_command("demo", "--load-only", stdout=out)
    text = out.getvalue()
    assert "行政区划：" in text and "合成资源：" in text and "合成监测：" in text and "登录账号：" in text
    assert "duty_officer（市级值班员）" in text or "duty_officer（" in text
    # what is left once the logins, the address and the product's name are taken out: no Latin words
    rest = re.sub(r"\b(" + "|".join(u[0] for u in DEMO_USERS) + r")\b", "", text)
    rest = rest.replace("http://127.0.0.1:8000/", "").replace("CityWatch", "")
    # the other teams' leaders: their login's pattern and one example, as typed at the login page
    assert re.search(r"其他救援队队长账号：leader- .*如 leader-[a-z]+-\d+ 为", text), text
    rest = re.sub(r"leader-[a-z]+-\d+|leader-|demo-", "", rest)
    rest = "\n".join(line for line in rest.splitlines() if not line.startswith("密码："))
    assert not re.search(r"[A-Za-z]{2,}", rest), re.findall(r"[^\n]*[A-Za-z]{2,}[^\n]*", rest)
    # in English for an English operator (LANGUAGE_CODE en)
    with translation.override("en"):
        out = io.StringIO()
        call_command("demo", "--load-only", stdout=out)
    assert "Synthetic resources: rescue teams 508" in out.getvalue()
