"""Shared fixtures: the demo city loaded once into the test database, and personas.

Personas (ARCHITECTURE habit 11): city admin, Siming district officer, Huli district officer, inspector,
team leader, anonymous. Every test runs on the database named by CITYWATCH_DATABASE_URL: SpatiaLite by
default, PostGIS when `make test` is given CITYWATCH_TEST_DATABASE_URL.
"""

from __future__ import annotations

import os

import pytest

from tests.support.personas import DEMO_PASSWORD, anonymous, client_for


def pytest_configure(config):
    from django.conf import settings

    # Tests render templates without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Settings were read before this file set the variable (pytest-django sets Django up first).
    settings.CITYWATCH_DEMO_PASSWORD = DEMO_PASSWORD
    # The suite's transactions never commit, so PostgreSQL's NOTIFY never reaches a listener: live streams
    # poll (tests/notify/test_live_streams.py turns LISTEN on for its committed writes).
    settings.CITYWATCH_EVENTS_LISTEN = False
    # Every API answer the suite receives is checked against the OpenAPI document.
    from tests.support.contract import install

    install()


def _flushes_database(item) -> bool:
    marker = item.get_closest_marker("django_db")
    return item.get_closest_marker("browser") is not None or bool(marker and marker.kwargs.get("transaction"))


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if "postgis" not in settings.DATABASES["default"]["ENGINE"]:
        skip = pytest.mark.skip(reason="needs PostgreSQL/PostGIS")
        for item in items:
            if item.get_closest_marker("postgis_only"):
                item.add_marker(skip)
    share_browser_tests(config, items)
    # Transactional tests (browser tests, concurrency tests) empty the database when they end, so they run
    # after every test that relies on the demo city loaded once per session.
    items.sort(key=_flushes_database)


def share_browser_tests(config, items) -> None:
    """``CITYWATCH_BROWSER_SHARE=k/n`` (or ``k,l,…/n``): this run keeps the k-th (and l-th, …) of every n
    browser tests, in the order of their ids, and leaves the others to the runs beside it. ``make test``
    runs the suite on SpatiaLite and PostGIS side by side, one per core, and shares the browser tests
    between them: a page is driven once, on one of the two databases, instead of twice (they were a third
    of the suite's time); every other test runs on both. The SpatiaLite run, quicker at everything else,
    takes three of every five."""
    share = os.environ.get("CITYWATCH_BROWSER_SHARE", "")
    if not share:
        return
    try:
        kept, n = share.split("/")
        n = int(n)
        kept = {int(k) for k in kept.split(",")}
        if not kept or not all(1 <= k <= n for k in kept):
            raise ValueError
    except ValueError:
        raise pytest.UsageError(
            f"CITYWATCH_BROWSER_SHARE must be k/n or k,l,…/n with 1 <= k <= n, not {share!r}"
        ) from None
    browser = sorted((item for item in items if item.get_closest_marker("browser")), key=lambda i: i.nodeid)
    others = {item.nodeid for index, item in enumerate(browser) if index % n + 1 not in kept}
    if others:
        config.hook.pytest_deselected(items=[item for item in items if item.nodeid in others])
        items[:] = [item for item in items if item.nodeid not in others]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from citywatch.demo.loader import load_demo

    with django_db_blocker.unblock():
        # The demo incidents are left out: tests about incidents make their own (tests/demo loads them);
        # so is the monitoring hub's demo (its rules would watch every test's stations): tests load it.
        load_demo(with_incidents=False, with_monitoring=False)


@pytest.fixture
def city_admin(db):
    return client_for("city_admin")


@pytest.fixture
def siming(db):
    return client_for("siming_officer")


@pytest.fixture
def huli(db):
    return client_for("huli_officer")


@pytest.fixture
def inspector(db):
    return client_for("inspector")


@pytest.fixture
def team_leader(db):
    return client_for("team_leader")


@pytest.fixture
def anon(db):
    return anonymous()


@pytest.fixture
def user(db):
    """Look a demo user up by username."""
    from citywatch.core.models import User

    return lambda username: User.objects.get(username=username)
