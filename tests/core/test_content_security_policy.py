"""The Content-Security-Policy header and what makes it hold: no template carries inline scripts, styles
or event handlers, and the admin edits geometries as text instead of Django's CDN-loaded map widget.
(The browser test tests/browser/test_content_security_policy.py proves the pages run under it.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "citywatch"


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


@pytest.mark.parametrize("path", ["/map/", "/resources/", "/admin/", "/api/v1/docs", "/account/password/"])
def test_pages_carry_the_policy(city_admin, path):
    response = city_admin.get(path)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert set(policy["img-src"]) == {"'self'", "data:", "blob:"}
    assert policy["connect-src"] == ["'self'"]
    assert "blob:" in policy["worker-src"] and "blob:" in policy["child-src"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]


def test_the_login_page_and_errors_carry_it_too(anon):
    assert "Content-Security-Policy" in anon.get("/login/")
    assert "Content-Security-Policy" in anon.get("/no-such-page/")


def test_a_basemap_origin_is_allowed_for_images_and_fetches(city_admin, settings):
    settings.BASEMAP_URL = "https://tiles.example.org:8443/osm/{z}/{x}/{y}.png"
    policy = directives(city_admin.get("/map/"))
    assert "https://tiles.example.org:8443" in policy["img-src"]
    assert "https://tiles.example.org:8443" in policy["connect-src"]
    assert "https://tiles.example.org:8443" not in policy["script-src"]


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
        ("HTTPS://Tiles.Example.org/a?b={z}", "https://Tiles.Example.org"),
        ("http://127.0.0.1:8081/{z}/{x}/{y}.png", "http://127.0.0.1:8081"),
        ("https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}", "https://*.tianditu.gov.cn"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("/tiles/{z}/{x}/{y}.png", ""),
        ("", ""),
        ("javascript://alert(1)", ""),
        ("https://evil.example.org; script-src *", ""),
        ("https://user:pw@tiles.example.org/{z}", ""),
        ("https://{s}/{z}", ""),
    ],
)
def test_basemap_origin(url, origin):
    from citywatch.core.middleware import basemap_origin

    assert basemap_origin(url) == origin


def template_files():
    return sorted(p for p in PACKAGE.rglob("templates/**/*.html"))


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle=\"", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+=[\"']", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_has_inline_scripts_styles_or_handlers():
    found = []
    for path in template_files():
        text = path.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(PACKAGE)}:{line}: {what}")
    assert template_files() and found == []


def test_the_admin_edits_geometries_as_text(city_admin):
    from citywatch.core.models import AdminArea

    area = AdminArea.objects.get(code="350203")
    page = city_admin.get(f"/admin/core/adminarea/{area.pk}/change/").content.decode()
    assert 'name="point"' in page and "<textarea" in page
    assert "openlayers" not in page.lower() and "cdn.jsdelivr" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    data = {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "parent": area.parent_id or "",
        "boundary": area.boundary.wkt,
        "point": "POINT (118.0901 24.4501)",
        "point_source": area.point_source,
    }
    response = city_admin.post(f"/admin/core/adminarea/{area.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    area.refresh_from_db()
    assert (round(area.point.x, 4), round(area.point.y, 4)) == (118.0901, 24.4501)
