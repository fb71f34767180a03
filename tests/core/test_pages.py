"""Pages: every one needs a login; the map uses vendored MapLibre (no CDN); lists are restricted by
jurisdiction; the OpenAPI schema and docs; the language switch."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.django_db

SIMING, HULI = "350203", "350206"
ON_POSTGIS = "postgis" in django_settings.DATABASES["default"]["ENGINE"]
ON_SPATIALITE = "spatialite" in django_settings.DATABASES["default"]["ENGINE"]

SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=[\"']([^\"']*)[\"']", re.IGNORECASE)
LINK_HREF = re.compile(r"<link\b[^>]*\bhref=[\"']([^\"']*)[\"']", re.IGNORECASE)
AREA_LINK = re.compile(r'href="/areas/(\d+)/"')


def html(response) -> str:
    assert response.status_code == 200, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def area_codes(response) -> set[str]:
    return set(AREA_LINK.findall(html(response)))


def assert_no_cdn(text: str):
    """Scripts and styles come from this server: no absolute or protocol-relative URL."""
    for url in SCRIPT_SRC.findall(text) + LINK_HREF.findall(text):
        assert not re.match(r"^(https?:)?//", url, re.IGNORECASE), url
    assert not re.search(r"<script\b[^>]*\bsrc=[\"'](https?:)?//", text, re.IGNORECASE)


# --- Login required -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/map/",
        "/areas/",
        f"/areas/{SIMING}/",
        "/changes/",
        "/changes/1/",
        "/areas/?level=district",
        "/areas/nosuch/",
    ],
)
def test_anonymous_page_redirects_to_login(anon, path):
    response = anon.get(path)
    assert response.status_code == 302, response.status_code
    assert response["Location"] == "/login/?next=" + quote(path, safe="/")


def test_anonymous_page_does_not_leak_data(anon):
    response = anon.get(f"/areas/{SIMING}/", follow=True)
    text = html(response)
    assert response.redirect_chain[-1][0].startswith("/login/")
    assert "思明区" not in text


def test_login_page_is_public(anon):
    text = html(anon.get("/login/"))
    assert 'name="username"' in text and 'name="password"' in text
    assert_no_cdn(text)


def test_admin_redirects_to_admin_login(anon):
    response = anon.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "next=/admin/" in response["Location"]


def test_admin_is_refused_to_non_staff(siming):
    response = siming.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_api_docs_need_a_login(anon):
    response = anon.get("/api/v1/docs")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=" + quote("/api/v1/docs", safe="/")


def test_openapi_document_answers_a_session_or_a_token_and_401_otherwise(anon, siming, user):
    from citywatch.core import actions

    response = anon.get("/api/v1/openapi.json")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    assert siming.get("/api/v1/openapi.json").json()["openapi"].startswith("3.")
    _token, plain = actions.create_api_token(user("siming_officer"))
    by_token = anon.get("/api/v1/openapi.json", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert by_token.status_code == 200 and "/api/v1/incidents/" in by_token.json()["paths"]
    wrong = anon.get("/api/v1/openapi.json", HTTP_AUTHORIZATION="Bearer cw_nope_nope")
    assert wrong.status_code == 401


def test_healthz_is_public_json(anon):
    response = anon.get("/healthz")
    assert response.status_code in (200, 503)
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == ("ok" if response.status_code == 200 else "unavailable")
    assert body["checks"]["database"]["ok"] is True


# --- Map ------------------------------------------------------------------------------------------


def test_map_page_uses_vendored_maplibre(siming):
    text = html(siming.get("/map/"))
    scripts = SCRIPT_SRC.findall(text)
    vendored = r"/static/vendor/maplibre-gl/maplibre-gl(\.[0-9a-f]+)?"
    assert any(re.fullmatch(vendored + r"\.js", src) for src in scripts), scripts
    assert any(re.fullmatch(vendored + r"\.css", href) for href in LINK_HREF.findall(text))
    assert_no_cdn(text)
    assert 'id="map"' in text


def test_home_redirects_to_map(siming):
    response = siming.get("/")
    assert response.status_code == 302 and response["Location"] == "/map/"


@pytest.mark.parametrize("persona", ["city_admin", "siming", "huli", "inspector", "team_leader"])
def test_every_persona_gets_the_main_pages(request, persona):
    client = request.getfixturevalue(persona)
    for path in ("/map/", "/areas/", "/changes/"):
        assert_no_cdn(html(client.get(path)))


# --- Areas ----------------------------------------------------------------------------------------


def test_area_list_for_siming_shows_siming_only(siming):
    text = html(siming.get("/areas/"))
    assert "思明区" in text and "湖里区" not in text
    codes = area_codes(siming.get("/areas/"))
    assert SIMING in codes and HULI not in codes
    assert codes and all(code.startswith(SIMING) for code in codes)


def test_area_list_for_huli_shows_huli_only(huli):
    codes = area_codes(huli.get("/areas/"))
    assert HULI in codes and SIMING not in codes
    assert all(code.startswith(HULI) for code in codes)


def test_area_list_level_filter(siming, city_admin):
    assert area_codes(siming.get("/areas/", {"level": "district"})) == {SIMING}
    assert len(area_codes(city_admin.get("/areas/", {"level": "district"}))) == 6
    streets = area_codes(siming.get("/areas/", {"level": "street"}))
    assert streets and all(len(code) == 9 and code.startswith(SIMING) for code in streets)


def test_area_list_q_filter(siming):
    from citywatch.core.models import AdminArea

    street = AdminArea.objects.filter(code__startswith=SIMING, level="street").order_by("code").last()
    assert area_codes(siming.get("/areas/", {"q": street.name})) >= {street.code}
    by_code = area_codes(siming.get("/areas/", {"q": street.code}))
    assert street.code in by_code and all(code.startswith(street.code) for code in by_code)
    # Searching for Huli finds nothing for Siming's officer.
    assert area_codes(siming.get("/areas/", {"q": "湖里"})) == set()
    assert area_codes(siming.get("/areas/", {"q": HULI})) == set()


def test_area_list_parent_filter(siming):
    children = area_codes(siming.get("/areas/", {"parent": SIMING}))
    assert children and all(len(code) == 9 and code.startswith(SIMING) for code in children)
    assert area_codes(siming.get("/areas/", {"parent": HULI})) == set()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        # The warning names the filter as people know it (its label), never its code name.
        ({"level": "bogus"}, "级别"),
        ({"parent": "abc"}, "上级"),
        ({"q": "x" * 5000}, "搜索"),
        ({"bbox": "1,2,3"}, "地图范围"),
        ({"bbox": "119,24,118,25"}, "地图范围"),
    ],
    ids=["level", "parent", "q", "bbox", "bbox-order"],
)
def test_invalid_filter_shows_a_warning_not_a_500(siming, params, field):
    text = html(siming.get("/areas/", params))
    warning = re.search(r'<p class="warning"[^>]*>(.*?)</p>', text, re.S)
    assert warning, "no warning shown"
    assert field in warning.group(1)
    # The filter is dropped: the whole jurisdiction is listed.
    assert SIMING in set(AREA_LINK.findall(text))


def test_valid_filter_shows_no_warning(siming):
    assert 'class="warning"' not in html(siming.get("/areas/", {"level": "district"}))


@pytest.mark.parametrize("page", ["abc", "-1", "0", "99999", "1e9", ""])
def test_odd_page_numbers_do_not_500(siming, page):
    assert area_codes(siming.get("/areas/", {"page": page}))


def test_area_pages_are_paginated(siming):
    first = area_codes(siming.get("/areas/"))
    second = area_codes(siming.get("/areas/", {"page": 2}))
    assert len(first) == 50 and second and not first & second


@pytest.mark.parametrize(
    ("persona", "code", "status"),
    [
        ("siming", HULI, 404),
        ("huli", HULI, 200),
        ("siming", SIMING, 200),
        ("huli", SIMING, 404),
        ("siming", "350200", 404),
        ("city_admin", HULI, 200),
        ("city_admin", "350200", 200),
    ],
)
def test_area_detail_is_restricted_by_jurisdiction(request, persona, code, status):
    response = request.getfixturevalue(persona).get(f"/areas/{code}/")
    assert response.status_code == status
    if status == 200:
        assert f"{code}" in html(response)


def test_area_detail_404_page_does_not_name_the_area(siming):
    response = siming.get(f"/areas/{HULI}/")
    assert response.status_code == 404
    assert "湖里区" not in response.content.decode()


def test_area_detail_lists_children(huli):
    text = html(huli.get(f"/areas/{HULI}/"))
    assert "湖里区" in text
    assert any(code.startswith(HULI) and len(code) == 9 for code in AREA_LINK.findall(text))


@pytest.mark.parametrize("code", ["nosuch", "思明区", "3" * 200, "%20", SIMING + "0" * 200])
def test_unknown_area_page_is_404(siming, code):
    assert siming.get(f"/areas/{code}/").status_code == 404


def test_nul_in_area_code_page_is_400(siming):
    assert siming.get("/areas/%00/").status_code == 400


@pytest.mark.parametrize(("path", "name"), [("/areas/", "q"), ("/changes/", "q"), ("/changes/", "user")])
def test_nul_in_page_filter_is_400(city_admin, path, name):
    assert city_admin.get(path, {name: "a\x00"}).status_code == 400


def test_real_code_with_a_suffix_is_404_page(siming):
    from citywatch.core.models import AdminArea

    community = AdminArea.objects.filter(code__startswith=SIMING, level="community").order_by("code").first()
    assert siming.get(f"/areas/{community.code}/").status_code == 200
    assert siming.get(f"/areas/{community.code}junk/").status_code == 404


# --- Change log -----------------------------------------------------------------------------------


def test_change_list_renders_for_city_admin(city_admin):
    text = html(city_admin.get("/changes/"))
    assert "<table" in text
    assert_no_cdn(text)


def test_change_list_with_filters(city_admin):
    html(city_admin.get("/changes/", {"model": "core.adminarea", "action": "create", "since": "2000-01-01"}))
    warned = html(city_admin.get("/changes/", {"action": "bogus", "since": "yesterday"}))
    assert 'class="warning"' in warned


@pytest.mark.parametrize("params", [{"since": "0001-01-01"}, {"until": "9999-12-31T23:59:59-14:00"}])
def test_dates_beyond_utc_range_on_change_page_are_ignored_with_a_warning(city_admin, params):
    response = city_admin.get("/changes/", params)
    assert response.status_code == 200
    assert 'class="warning"' in response.content.decode()


def test_unknown_change_is_404(city_admin):
    assert city_admin.get("/changes/999999999/").status_code == 404


# --- API schema and docs --------------------------------------------------------------------------


def test_openapi_json_lists_the_core_paths(siming):
    response = siming.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/areas", "/api/v1/areas/{code}", "/api/v1/me", "/api/v1/changes"} <= set(schema["paths"])
    for path in ("/api/v1/areas", "/api/v1/areas/{code}", "/api/v1/me", "/api/v1/changes"):
        assert "get" in schema["paths"][path]
    # Bearer tokens are documented.
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values()), schemes


def test_docs_page_loads_its_js_from_static(siming):
    text = html(siming.get("/api/v1/docs"))
    scripts = SCRIPT_SRC.findall(text)
    assert scripts, "the docs page has no script"
    assert all(src.startswith("/static/") for src in scripts), scripts
    assert_no_cdn(text)
    assert "/api/v1/openapi.json" in text


# --- Language -------------------------------------------------------------------------------------


def test_default_language_is_simplified_chinese(siming):
    assert '<html lang="zh-hans"' in html(siming.get("/map/"))


def test_main_navigation_is_in_chinese(siming):
    """The link to the API documents reads 接口文档 in the Chinese bar (``API`` as a report channel stays)."""
    text = html(siming.get("/map/"))
    nav = text[text.index('<nav class="mainnav"') : text.index("</nav>")]
    assert ">接口文档</a>" in nav and ">API</a>" not in nav


def test_login_page_default_language(anon):
    assert '<html lang="zh-hans"' in html(anon.get("/login/"))


def test_switching_to_english(siming):
    response = siming.post("/i18n/setlang/", {"language": "en", "next": "/map/"})
    assert response.status_code == 302 and response["Location"] == "/map/"
    text = html(siming.get("/map/"))
    assert '<html lang="en"' in text
    # And back.
    siming.post("/i18n/setlang/", {"language": "zh-hans", "next": "/map/"})
    assert '<html lang="zh-hans"' in html(siming.get("/map/"))


def test_switching_language_works_before_login(anon):
    anon.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert '<html lang="en"' in html(anon.get("/login/"))


def test_unknown_language_is_ignored(siming):
    siming.post("/i18n/setlang/", {"language": "xx", "next": "/map/"})
    assert '<html lang="zh-hans"' in html(siming.get("/map/"))


def test_setlang_does_not_redirect_off_site(siming):
    response = siming.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert not response["Location"].startswith(("http://", "https://", "//"))
