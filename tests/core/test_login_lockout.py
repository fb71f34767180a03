"""The login lock-out cannot be dodged by changing (or forging) one's address.

* Per user, across addresses: after ``AXES_FAILURE_LIMIT`` failures for a username from any addresses
  within the cool-down, that username is locked everywhere, until the cool-down has passed.
* Per address, across users: ``CITYWATCH_LOGIN_ADDRESS_FAILURE_LIMIT`` failures from one address lock
  that address for every username.
* ``X-Forwarded-For`` counts only from ``CITYWATCH_TRUSTED_PROXIES`` — in the application (the address
  axes counts) and in the server (uvicorn's proxy settings follow the same list).
"""

from __future__ import annotations

import datetime
import ipaddress

import pytest
from django.test import Client

from tests.support.personas import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def login(username, password, address="127.0.0.1", **headers):
    client = Client()
    response = client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )
    return response, "_auth_user_id" in client.session


def fail(username, address, n=1, **headers):
    for _ in range(n):
        response, _ = login(username, "wrong-password", address, **headers)
        assert response.status_code in (200, 429)
    return response


def recorded_addresses():
    from axes.models import AccessAttempt

    return set(AccessAttempt.objects.values_list("ip_address", flat=True))


# --- per user, across addresses -----------------------------------------------------------------------


def test_a_locked_user_stays_locked_from_any_other_address(settings):
    limit = settings.AXES_FAILURE_LIMIT
    for i in range(limit):
        fail("siming_officer", f"10.0.0.{i + 1}")
    response, logged_in = login("siming_officer", DEMO_PASSWORD, "10.9.9.9")
    assert response.status_code == 429 and not logged_in
    response, logged_in = login(
        "siming_officer", DEMO_PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    assert response.status_code == 429 and not logged_in
    # Other users are not affected.
    response, logged_in = login("huli_officer", DEMO_PASSWORD, "10.9.9.9")
    assert response.status_code == 302 and logged_in


def test_the_lock_ends_after_the_cool_down(settings):
    from axes.models import AccessAttempt

    fail("siming_officer", "10.0.0.1", settings.AXES_FAILURE_LIMIT)
    assert login("siming_officer", DEMO_PASSWORD, "10.0.0.2")[0].status_code == 429
    past = settings.AXES_COOLOFF_TIME + datetime.timedelta(minutes=1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - past)
    response, logged_in = login("siming_officer", DEMO_PASSWORD, "10.0.0.2")
    assert response.status_code == 302 and logged_in


def test_a_success_elsewhere_does_not_forgive_an_attackers_failures(settings):
    limit = settings.AXES_FAILURE_LIMIT
    fail("huli_officer", "198.51.100.1", limit - 1)  # the attacker
    # The user logs in from the office: their own slate there is clean, the attacker's failures stay.
    assert login("huli_officer", DEMO_PASSWORD, "10.1.1.1")[1]
    fail("huli_officer", "198.51.100.2")
    response, logged_in = login("huli_officer", DEMO_PASSWORD, "10.1.1.1")
    assert response.status_code == 429 and not logged_in


def test_a_typo_then_success_leaves_the_user_free(settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(3):
        fail("inspector", "10.2.2.2", limit - 1)
        assert login("inspector", DEMO_PASSWORD, "10.2.2.2")[1]


# --- per address, across users ------------------------------------------------------------------------


def test_an_address_spraying_many_usernames_is_locked(settings):
    limit = settings.CITYWATCH_LOGIN_ADDRESS_FAILURE_LIMIT
    assert limit > settings.AXES_FAILURE_LIMIT
    for i in range(limit):
        fail(f"guess{i}", "198.51.100.9")
    response, logged_in = login("commander", DEMO_PASSWORD, "198.51.100.9")
    assert response.status_code == 429 and not logged_in
    response, logged_in = login("commander", DEMO_PASSWORD, "10.3.3.3")
    assert response.status_code == 302 and logged_in


def test_an_own_account_does_not_reset_the_address_counter(settings):
    limit = settings.CITYWATCH_LOGIN_ADDRESS_FAILURE_LIMIT
    for i in range(limit - 1):
        fail(f"guess{i}", "198.51.100.10")
    assert login("duty_officer", DEMO_PASSWORD, "198.51.100.10")[1]
    fail("guess-last", "198.51.100.10")
    response, logged_in = login("duty_officer", DEMO_PASSWORD, "198.51.100.10")
    assert response.status_code == 429 and not logged_in


def test_the_lock_page_says_how_long(settings):
    fail("siming_officer", "10.0.0.1", settings.AXES_FAILURE_LIMIT)
    response, _ = login("siming_officer", DEMO_PASSWORD, "10.0.0.1")
    assert response.status_code == 429
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    text = response.content.decode()
    assert f"{minutes} 分钟" in text, text


# --- which address: forwarded headers only from trusted proxies ------------------------------------


def test_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.TRUSTED_PROXIES = []
    fail("nobody", "127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.50")
    assert recorded_addresses() == {"127.0.0.1"}


def test_forwarded_for_is_believed_from_a_trusted_proxy_only(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.10.0.0/16")]
    fail("nobody", "10.10.0.5", HTTP_X_FORWARDED_FOR="203.0.113.50")
    fail("nobody", "192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.51")
    assert recorded_addresses() == {"203.0.113.50", "192.0.2.1"}


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("10.10.0.5", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # a forged entry left of the real client
        ("10.10.0.5", "198.51.100.7, 10.10.0.9", "198.51.100.7"),  # two trusted hops
        ("10.10.0.5", "10.10.0.8, 10.10.0.9", "10.10.0.8"),  # all trusted: the leftmost
        ("10.10.0.5", "not-an-address", "10.10.0.5"),  # garbage from the proxy: the proxy's address
        ("10.10.0.5", "[2001:db8::1]:443", "2001:db8::1"),
        ("10.10.0.5", "198.51.100.7:5555", "198.51.100.7"),
        ("10.10.0.5", "", "10.10.0.5"),
        ("192.0.2.1", "198.51.100.7", "192.0.2.1"),  # not a trusted proxy: header ignored
    ],
)
def test_client_address_walks_back_past_trusted_proxies(rf, settings, peer, forwarded, expected):
    from citywatch.proxies import client_address

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.10.0.0/16")]
    request = rf.get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def _through_uvicorn(peer: str, forwarded: str) -> str:
    """The peer address the application sees when uvicorn, configured by ``uvicorn_options()``, serves a
    connection from ``peer`` carrying ``X-Forwarded-For: forwarded``."""
    import asyncio

    import uvicorn

    from citywatch.proxies import uvicorn_options

    seen = {}

    async def app(scope, receive, send):
        seen["client"] = scope["client"][0]

    config = uvicorn.Config(app, **uvicorn_options())
    config.load()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"x-forwarded-for", forwarded.encode())],
        "client": (peer, 50000),
        "server": ("127.0.0.1", 8000),
    }
    asyncio.run(config.loaded_app(scope, None, None))
    return seen["client"]


def test_the_server_believes_no_forwarded_header_by_default(settings):
    settings.TRUSTED_PROXIES = []
    # uvicorn's own default would answer 203.0.113.7 here (it trusts 127.0.0.1).
    assert _through_uvicorn("127.0.0.1", "203.0.113.7") == "127.0.0.1"


@pytest.mark.parametrize(
    ("peer", "forwarded"),
    [
        ("10.10.0.5", "6.6.6.6, 198.51.100.7"),
        ("10.10.0.5", "198.51.100.7, 10.10.0.9"),
        ("10.10.0.5", "10.10.0.8, 10.10.0.9"),
        ("192.0.2.1", "198.51.100.7"),
        ("127.0.0.1", "203.0.113.7"),
    ],
)
def test_server_and_application_agree_on_the_address(rf, settings, peer, forwarded):
    from citywatch.proxies import client_address

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.10.0.0/16")]
    seen = _through_uvicorn(peer, forwarded)
    # The application sees uvicorn's peer and the header as sent; it must land on the same address.
    request = rf.get("/", REMOTE_ADDR=seen, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == seen
    assert client_address(rf.get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)) == seen


def test_the_demo_server_is_started_with_the_same_proxy_settings(settings):
    from citywatch.demo.management.commands.demo import web_command

    settings.TRUSTED_PROXIES = []
    assert "--no-proxy-headers" in web_command("127.0.0.1", 8000)
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.10.0.0/16"), ipaddress.ip_network("::1/128")]
    command = web_command("127.0.0.1", 8000)
    assert command[command.index("--forwarded-allow-ips") + 1] == "10.10.0.0/16,::1/128"


def test_trusted_proxies_setting_is_read_strictly(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from citywatch.env import env_networks

    monkeypatch.setenv("X_PROXIES", "10.0.0.1, 10.1.0.0/16,::1")
    assert [str(n) for n in env_networks("X_PROXIES", [])] == ["10.0.0.1/32", "10.1.0.0/16", "::1/128"]
    for bad in ("*", "proxy.example.org", "10.0.0.300"):
        monkeypatch.setenv("X_PROXIES", bad)
        with pytest.raises(ImproperlyConfigured, match="X_PROXIES"):
            env_networks("X_PROXIES", [])
