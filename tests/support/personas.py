"""Personas (ARCHITECTURE habit 11): the demo users the suite logs in as, and their password."""

from __future__ import annotations

import os

os.environ.setdefault("CITYWATCH_DEMO_PASSWORD", "demo-password-for-tests")
DEMO_PASSWORD = os.environ["CITYWATCH_DEMO_PASSWORD"]

# username → what they stand for in the tests
CITY_ADMIN = "city_admin"
COMMANDER = "commander"
DUTY_OFFICER = "duty_officer"
SIMING_OFFICER = "siming_officer"  # 思明区
HULI_OFFICER = "huli_officer"  # 湖里区
INSPECTOR = "inspector"
TEAM_LEADER = "team_leader"


def client_for(username: str):
    """A test client logged in as ``username`` (a session, as a browser would be)."""
    from django.test import Client

    from citywatch.core.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def anonymous():
    from django.test import Client

    return Client()
