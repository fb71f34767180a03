"""The database's busy timeout and journal, and what a write that waits out another writer's lock answers.

Loading SpatiaLite reset SQLite's busy timeout from the configured 20 s to 5 s (Django ran
``init_command`` before GeoDjango loaded the extension), and a write that gave up answered 500. Now the
pragmas are set after the extension loads (read back here on a fresh connection), and a write that still
times out answers 503 with Retry-After: the API's error body, or a translated page. On SpatiaLite this is
shown on uvicorn serving a database file of its own while another connection holds the write lock; on
PostGIS with a lock timeout while another connection holds the row.
"""

import http.cookiejar
import json
import sqlite3
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.conf import settings
from django.db import connection

from tests.support.personas import DEMO_PASSWORD
from tests.support.servers import seeded_spatialite, uvicorn_server

pytestmark = pytest.mark.django_db

ON_SPATIALITE = connection.vendor == "sqlite"
ON_POSTGIS = connection.vendor == "postgresql"
spatialite_only = pytest.mark.skipif(not ON_SPATIALITE, reason="SQLite's busy timeout and journal")
postgis_only = pytest.mark.skipif(not ON_POSTGIS, reason="PostgreSQL's row locks and lock_timeout")


def fresh_connection(path, **options):
    """A new connection through the configured backend (as every request of a server opens one)."""
    from django.db import connections
    from django.db.utils import load_backend

    settings_dict = {**connections["default"].settings_dict, "NAME": str(path)}
    settings_dict["OPTIONS"] = {**settings_dict["OPTIONS"], **options}
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias="fresh")
    wrapper.ensure_connection()
    return wrapper


@spatialite_only
def test_pragmas_hold_after_spatialite_has_loaded(tmp_path):
    wrapper = fresh_connection(tmp_path / "fresh.sqlite3")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT spatialite_version()")
            assert cursor.fetchone()[0]  # the extension is loaded on this connection
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == settings.CITYWATCH_DB_BUSY_TIMEOUT_MS == 20_000
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 1  # NORMAL
    finally:
        wrapper.close()
    wrapper = fresh_connection(tmp_path / "short.sqlite3", timeout=0.25)
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 250
    finally:
        wrapper.close()


# --- SpatiaLite: a server whose write meets another writer's lock --------------------------------


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory):
    if not ON_SPATIALITE:
        pytest.skip("SQLite's busy timeout")
    tmp_path = tmp_path_factory.mktemp("busy")
    database = seeded_spatialite(tmp_path / "data", DEMO_PASSWORD)
    # DEBUG serves pages without collectstatic (a fresh data directory has no static manifest).
    env = {**database["env"], "CITYWATCH_DB_BUSY_TIMEOUT_MS": "200", "CITYWATCH_DEBUG": "true"}
    with uvicorn_server(tmp_path, env) as server:
        yield server, database


class Browser:
    """Cookies, CSRF and no redirects followed: enough to log in and post a form."""

    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def csrf(self):
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def request(self, method, path, data=None, headers=None, body=None):
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
        # Only ever http://127.0.0.1:<port> of the server this test started.
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read()  # names case-insensitive
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def login(self, username, password):
        self.request("GET", "/login/")
        status, headers, _ = self.request(
            "POST",
            "/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": self.csrf()},
        )
        assert status == 302, status


@spatialite_only
def test_write_that_waits_out_the_lock_answers_503_with_retry_after(busy_server):
    server, database = busy_server
    api = Browser(server.port)
    auth = {"Authorization": f"Bearer {database['token']}", "Content-Type": "application/json"}
    assert api.request("GET", "/api/v1/me", headers=auth)[0] == 200  # the token's use is recorded now
    page = Browser(server.port)
    page.login("operator", DEMO_PASSWORD)
    shelter = database["shelter"]
    patch, capacity = f"/api/v1/resources/shelters/{shelter}", json.dumps({"capacity": 321}).encode()

    # Waits out the server's own last write (the login, the token's use), then holds the lock.
    holder = sqlite3.connect(database["path"], timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer (an import, the worker) holds the write lock
    try:
        status, headers, answer = api.request("PATCH", patch, headers=auth, body=capacity)
        assert status == 503 and headers["Retry-After"] == "5"
        body = json.loads(answer)
        assert body["error"]["code"] == "database_busy"
        assert "数据库正忙" in body["error"]["message"] and set(body["error"]) == {
            "code",
            "message",
            "details",
        }

        status, headers, html = page.request(
            "POST",
            f"/resources/shelters/{shelter}/occupancy/",
            {"occupancy": "7", "csrfmiddlewaretoken": page.csrf()},
        )
        assert status == 503 and headers["Retry-After"] == "5"
        assert "<h1>系统繁忙，请稍后重试</h1>" in html.decode()
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    # The same writes go through once the lock is gone.
    status, _headers, answer = api.request("PATCH", patch, headers=auth, body=capacity)
    assert status == 200 and json.loads(answer)["capacity"] == 321
    status, _headers, _html = page.request(
        "POST",
        f"/resources/shelters/{shelter}/occupancy/",
        {"occupancy": "7", "csrfmiddlewaretoken": page.csrf()},
    )
    assert status == 302
    log = server.log.read_text()
    assert "database busy" in log and "Internal Server Error" not in log


# --- PostGIS: a lock timeout ----------------------------------------------------------------------


@postgis_only
def test_lock_timeout_on_postgresql_answers_503(city_admin):
    import psycopg

    from citywatch.resources.models import Shelter

    shelter = Shelter.objects.order_by("pk").first()
    params = connection.get_connection_params()
    holder = psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=False)
    try:
        holder.execute("SELECT id FROM resources_shelter WHERE id = %s FOR UPDATE", [shelter.pk])
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        r = city_admin.patch(
            f"/api/v1/resources/shelters/{shelter.pk}",
            data={"capacity": 321},
            content_type="application/json",
        )
        assert r.status_code == 503 and r["Retry-After"] == "5"
        assert r.json()["error"]["code"] == "database_busy"
    finally:
        holder.rollback()
        holder.close()
