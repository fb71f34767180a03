"""Every page is sent with a Content-Security-Policy and works under it: no page, map, API document or
admin form makes the browser report a violation (console or ``securitypolicyviolation`` event). MapLibre
runs its workers from blob: URLs; an optional raster basemap on another origin is allowed by the policy
and its tiles load.

The test visits the pages as their users would, with real records (a team, a depot, a shelter, an
incident) made through the API, and a real tile server on another port for the basemap."""

from __future__ import annotations

import http.server
import struct
import threading
import time
import zlib

import pytest

from tests.support.browser import api_client, close_streams, create, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIMING = "350203"
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def png(width=256, height=256, rgb=(200, 220, 240)) -> bytes:
    """A plain one-colour PNG (what a tile server answers), made with zlib."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def tile_server():
    """An HTTP tile server on a free port of 127.0.0.1 (another origin than the live server)."""
    tile = png()
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tile)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


@pytest.fixture
def records(demo_live_server, monkeypatch):
    from citywatch.core.models import AdminArea, User
    from citywatch.geo import routing

    monkeypatch.setattr(routing, "current_graph", lambda: None)  # estimated travel times: no road graph
    admin = api_client("city_admin")
    place = {"lon": 118.09, "lat": 24.45, "area_code": SIMING}
    team = create(admin, "rescue-teams", name="思明测试救援队", kind="social", members=10, **place)
    create(admin, "depots", name="思明测试仓库", kind="district", **place)
    create(admin, "shelters", name="思明测试避难场所", kind="earthquake", capacity=500, **place)
    duty = api_client("duty_officer")
    r = duty.post(
        "/api/v1/incidents/",
        {
            "title": "思明测试事件",
            "category": "accident_disaster",
            "type": "fire",
            "lon": 118.091,
            "lat": 24.451,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    return {
        "team": team["id"],
        "incident": r.json()["id"],
        "area": AdminArea.objects.get(code=SIMING).pk,
        "user": User.objects.get(username="huli_officer").pk,
    }


def watch(page, violations):
    page.add_init_script(WATCH)
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )


def visit(page, url, violations, ready=None):
    response = page.goto(url)
    assert response is not None and response.ok, (url, response and response.status)
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "worker-src 'self' blob:" in policy, (url, policy)
    if ready:
        page.wait_for_selector(ready, state="attached", timeout=30_000)
    page.wait_for_load_state("networkidle")
    violations.extend(page.evaluate("() => window.__csp || []"))


def test_no_page_violates_the_content_security_policy(page, demo_live_server, records):
    base = demo_live_server.url
    violations: list[str] = []
    watch(page, violations)
    visit(page, f"{base}/login/", violations)
    login(page, base, "city_admin")
    page.wait_for_url(f"{base}/map/")
    team, incident = records["team"], records["incident"]
    pages = [
        ("/map/", "#map[data-loaded=true]"),
        ("/areas/", None),
        (f"/areas/{SIMING}/", None),
        ("/changes/", None),
        ("/resources/", None),
        ("/resources/rescue-teams/", None),
        (f"/resources/rescue-teams/{team}/", None),
        (f"/resources/rescue-teams/{team}/edit/", None),
        ("/resources/rescue-teams/import/", None),
        ("/resources/stock/", None),
        ("/resources/coverage/", None),
        ("/incidents/new/", "#incident-map[data-districts=loaded]"),
        (f"/incidents/{incident}/", "#onemap[data-nearby=loaded]"),
        ("/incidents/", "body[data-live=open]"),
        ("/duty/", None),
        ("/account/password/", None),
        ("/api/v1/docs", ".swagger-ui .info"),
        ("/admin/", None),
        (f"/admin/core/adminarea/{records['area']}/change/", None),
        (f"/admin/core/user/{records['user']}/change/", None),
        (f"/admin/core/user/{records['user']}/reset-link/", None),
        (f"/admin/incidents/incident/{incident}/change/", None),
        ("/admin/resources/", None),
    ]
    for path, ready in pages:
        if path == "/admin/resources/":
            continue  # resources have no admin: the registry pages are the stewards' screens
        visit(page, f"{base}{path}", violations, ready)
    # The language switcher and a delete confirmation run from static code, not inline handlers.
    page.goto(f"{base}/resources/rescue-teams/{team}/")
    page.once("dialog", lambda d: d.dismiss())
    page.click("form[data-confirm] button")
    assert page.url.endswith(f"/resources/rescue-teams/{team}/")
    page.select_option("select[name=language]", "en")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    violations.extend(page.evaluate("() => window.__csp || []"))
    close_streams(page)
    assert violations == []


def test_a_team_leaders_phone_page_passes(page, demo_live_server, records):
    base = demo_live_server.url
    violations: list[str] = []
    watch(page, violations)
    login(page, base, "team_leader")
    page.wait_for_url(f"{base}/m/dispatches/")
    visit(page, f"{base}/m/dispatches/", violations, "body[data-live=open]")
    close_streams(page)
    assert violations == []


def test_a_basemap_on_another_origin_is_allowed_and_drawn(page, demo_live_server, settings, tile_server):
    origin, requests = tile_server
    settings.BASEMAP_URL = origin + "/tiles/{z}/{x}/{y}.png"
    base = demo_live_server.url
    violations: list[str] = []
    watch(page, violations)
    login(page, base, "city_admin")
    page.wait_for_url(f"{base}/map/")
    visit(page, f"{base}/map/", violations, "#map[data-loaded=true]")
    deadline = time.monotonic() + 15
    while not requests and time.monotonic() < deadline:
        time.sleep(0.2)
    assert any(p.startswith("/tiles/") for p in requests), requests
    assert violations == []
