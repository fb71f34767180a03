"""Issue 11, items 9 and 10: each role lands where it works (duty officers and commanders on the duty
screen, team leaders on their orders), the navigation offers only pages the role may open, and the duty
screen shows reports falling due soon beside the overdue ones, across the width of the screen."""

import datetime
import re

import pytest
from django.utils import timezone

from citywatch.incidents.models import Incident
from tests.support.builders import new_incident
from tests.support.personas import client_for

PERSONAS = (
    "city_admin",
    "commander",
    "duty_officer",
    "siming_officer",
    "huli_officer",
    "inspector",
    "team_leader",
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "landing"),
    [
        ("duty_officer", "/duty/"),
        ("commander", "/duty/"),
        ("team_leader", "/incidents/my-orders/"),
        ("inspector", "/map/"),
    ],
)
def test_each_role_lands_where_it_works(username, landing):
    from django.urls import reverse

    expected = {
        "/duty/": reverse("duty"),
        "/incidents/my-orders/": reverse("my_dispatches"),
        "/map/": reverse("map"),
    }
    r = client_for(username).get("/")
    assert r.status_code == 302 and r["Location"] == expected[landing]


@pytest.mark.django_db
@pytest.mark.parametrize("username", PERSONAS)
def test_the_navigation_links_only_pages_the_role_may_open(username):
    client = client_for(username)
    page = client.get("/m/dispatches/" if username == "team_leader" else "/resources/").content.decode()
    nav = re.search(r'<nav class="mainnav".*?</nav>', page, re.S)
    assert nav, page[:500]
    links = re.findall(r'href="([^"]+)"', nav.group(0))
    assert links
    for link in links:
        assert client.get(link).status_code == 200, link


@pytest.mark.django_db
def test_the_duty_screen_shows_reports_due_soon_and_uses_the_width(settings):
    settings.CITYWATCH_FIRST_REPORT_MINUTES = 30
    settings.CITYWATCH_WRITTEN_REPORT_MINUTES = 60
    settings.CITYWATCH_REPORT_DUE_SOON_MINUTES = 30
    soon, later = new_incident(title="即将到期测试"), new_incident(title="尚早测试")
    now = timezone.now()
    Incident.objects.filter(pk=soon.pk).update(
        verified_at=now - datetime.timedelta(minutes=20), status="verified"
    )
    Incident.objects.filter(pk=later.pk).update(
        verified_at=now + datetime.timedelta(minutes=5), status="verified"
    )
    page = client_for("duty_officer").get("/duty/").content.decode()
    due = re.search(r'<ul class="duty-due-list" id="duty-due-soon">.*?</ul>', page, re.S).group(0)
    assert f'data-incident="{soon.pk}"' in due and f'data-incident="{later.pk}"' not in due
    assert '<body class="wide">' in page
