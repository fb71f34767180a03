"""Fixtures of the incident tests (helpers are in tests/support)."""

from __future__ import annotations

import pytest

from citywatch.core.models import User
from tests.support.personas import client_for


@pytest.fixture
def duty(db):
    return User.objects.get(username="duty_officer")


@pytest.fixture
def duty_client(db):
    return client_for("duty_officer")


@pytest.fixture
def commander_client(db):
    return client_for("commander")
