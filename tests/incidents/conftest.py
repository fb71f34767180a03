"""Helpers for incident tests: places in Siming and Huli, incidents made through the actions."""

from __future__ import annotations

import pytest

from citywatch.core.models import AdminArea, User
from citywatch.incidents import actions


def place(code: str) -> tuple[float, float]:
    """A point inside the district ``code`` (its representative point)."""
    area = AdminArea.objects.get(code=code)
    return area.point.x, area.point.y


SIMING, HULI = "350203", "350206"


def new_incident(username: str = "duty_officer", code: str = SIMING, **extra):
    lon, lat = place(code)
    data = {"title": "测试事件", "category": "natural_disaster", "type": "flood", "lon": lon, "lat": lat}
    data.update(extra)
    return actions.create_incident(User.objects.get(username=username), data)


@pytest.fixture
def duty(db):
    return User.objects.get(username="duty_officer")


@pytest.fixture
def duty_client(db):
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="duty_officer"))
    return client


@pytest.fixture
def commander_client(db):
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="commander"))
    return client
