"""The duty screen's panel registry (``core/panels.py``): a registered panel appears on ``/duty/`` for the
users it is meant for, in order, with its context computed from the request; ``/duty/panels/<name>/`` renders
it alone (what panels.js fetches on a live message) and answers 404 for a panel the user may not see."""

from __future__ import annotations

from pathlib import Path

import pytest

from citywatch.core import panels

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[1] / "fixtures" / "templates"
calls = []


def who(request):
    calls.append(request.user.username)
    if request.user.username == "inspector":
        return None  # the context function may leave the panel out
    return {"who": request.user.username, "count": len(calls)}


@pytest.fixture
def registered(settings):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [TEMPLATES]}]
    first = panels.register(
        panels.Panel("tests.second", "tests/panel.html", who, order=20, live=("alarm.*",))
    )
    second = panels.register(panels.Panel("tests.first", "tests/panel.html", who, order=10))
    staff = panels.register(
        panels.Panel("tests.admins", "tests/panel.html", who, order=30, permission="core.change_adminarea")
    )
    yield first, second, staff
    for p in (first, second, staff):
        panels.unregister(p.name)


def test_registered_panels_render_on_the_duty_screen_in_order(registered, city_admin):
    html = city_admin.get("/duty/").content.decode()
    ids = ["panel-tests-first", "panel-tests-second", "panel-tests-admins"]
    positions = [html.index(f'id="{i}"') for i in ids]
    assert positions == sorted(positions)
    assert html.index("panel-tests-admins") < html.index('id="h-roster"')
    assert '<p class="who">city_admin</p>' in html
    # The live panel says what refreshes it and where from; the scripts are on the page.
    assert 'data-live-kinds="alarm.*" data-refresh-url="/duty/panels/tests.second/"' in html
    assert "citywatch/js/panels.js" in html and "citywatch/js/live.js" in html


def test_a_panel_is_left_out_by_permission_or_by_its_context(registered, siming, inspector):
    html = siming.get("/duty/").content.decode()
    assert "panel-tests-first" in html and "panel-tests-admins" not in html
    assert '<p class="who">siming_officer</p>' in html
    response = inspector.get("/duty/")
    if response.status_code == 200:  # whether an inspector sees the duty screen at all is incidents' call
        assert "panel-tests-first" not in response.content.decode()


def test_one_panel_alone(registered, city_admin, siming, anon):
    response = city_admin.get("/duty/panels/tests.first/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.content.decode().strip().startswith("<h2>测试面板</h2>")
    assert siming.get("/duty/panels/tests.admins/").status_code == 404
    assert city_admin.get("/duty/panels/tests.nothing/").status_code == 404
    assert anon.get("/duty/panels/tests.first/").status_code in (302, 401)


def test_no_panel_no_scripts(city_admin):
    saved = panels.registered()
    for p in saved:
        panels.unregister(p.name)
    try:
        html = city_admin.get("/duty/").content.decode()
    finally:
        for p in saved:
            panels.register(p)
    assert "duty-panel" not in html and "panels.js" not in html


def test_bad_names_are_refused():
    with pytest.raises(ValueError):
        panels.register(panels.Panel("a/b", "tests/panel.html", who))
