"""Helpers of the browser tests: logging in through the real page, opening the maps, records made through
the API, and the demo's base rows restored into each emptied database."""

from __future__ import annotations

from tests.support.personas import DEMO_PASSWORD
from tests.support.personas import client_for as api_client  # noqa: F401  (re-exported for the tests)

# Points inside the demo boundaries of 同安区 for the one-map scenes.
INCIDENT = (118.15, 24.73)
NEAR = (118.151, 24.731)
FAR = (118.19, 24.75)


def login(page, base, username):
    """Log in through the form and wait until the browser has left the login page: a ``goto`` issued
    while the form's POST is still on its way would cancel it (the session never set), which a loaded
    machine makes likely."""
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url, timeout=30_000)


def create(client, slug, **fields):
    r = client.post(f"/api/v1/resources/{slug}/", fields, content_type="application/json")
    assert r.status_code == 201, r.content
    return r.json()


def open_map(page, base, username):
    login(page, base, username)
    # Team leaders land on their orders, duty officers and commanders on the duty screen, others on the map.
    landing = {"team_leader": "/m/dispatches/", "duty_officer": "/duty/", "commander": "/duty/"}.get(
        username, "/map/"
    )
    page.wait_for_url(f"{base}{landing}")
    if landing != "/map/":
        page.goto(f"{base}/map/")
    page.wait_for_selector("#map[data-loaded=true]", timeout=30_000)


def close_streams(page):
    """Close the page's EventSource and give the live server a poll to notice, so no stream outlives the
    test's database access."""
    import time

    page.evaluate("() => window.citywatchEvents && window.citywatchEvents.close()")
    page.goto("about:blank")
    time.sleep(1.5)


def open_onemap(page, base, username, incident_id):
    login(page, base, username)
    page.wait_for_load_state()
    page.goto(f"{base}/incidents/{incident_id}/")
    page.wait_for_selector("#onemap[data-nearby=loaded]", state="attached", timeout=30_000)
    page.wait_for_selector("body[data-live=open]", state="attached", timeout=15_000)


# The rows the first ``load_demo(with_resources=False)`` wrote, restored into the emptied database of each
# later browser test (a transactional test flushes everything when it ends). Loading parses and repairs
# the boundaries and places ~600 synthetic points one action at a time; restoring the same rows takes a
# fraction of that. ``test_restored_base_is_what_the_loader_writes`` checks nothing else is needed.
_BASE_ROWS: dict = {}


def base_models():
    from citywatch.core.models import AdminArea, ObjectChange, Organisation, User
    from citywatch.resources.models import RegistryVersion  # raised by the area writes of the load

    return [AdminArea, Organisation, User, RegistryVersion, ObjectChange]


def restore_base() -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from citywatch.demo.loader import load_demo

    if not _BASE_ROWS:
        # The first browser test may find the session's full demo city: start every test from the same.
        call_command("flush", interactive=False, verbosity=0)
        load_demo(with_resources=False)
        _BASE_ROWS.update({m: list(m.objects.order_by("pk")) for m in base_models()})
        natural = {ct.pk: (ct.app_label, ct.model) for ct in ContentType.objects.all()}
        for change in _BASE_ROWS[base_models()[-1]]:
            change.content_type_natural = natural.get(change.content_type_id)
        return
    # The flush recreates the content types, perhaps with other ids: the change log follows them by name.
    ids = {(ct.app_label, ct.model): ct.pk for ct in ContentType.objects.all()}
    with transaction.atomic():
        for model, rows in _BASE_ROWS.items():
            for row in rows:
                row._state.adding = True
                if hasattr(row, "content_type_natural"):
                    row.content_type_id = ids.get(row.content_type_natural)
            model.objects.bulk_create(rows, batch_size=500)
        # A role is a group (recreated by the flush's post_migrate): membership as ``save_user`` sets it.
        from django.contrib.auth.models import Group

        groups = {g.name: g.pk for g in Group.objects.all()}
        users = _BASE_ROWS[base_models()[2]]
        through = users[0].groups.through if users else None
        if through is not None:  # rows of the m2m table, so no m2m signal writes to the change log
            through.objects.bulk_create(
                [through(user_id=u.pk, group_id=groups[u.role]) for u in users if u.role in groups]
            )
        # Rows keep their ids; move PostgreSQL's sequences past them (SQLite's follow by themselves).
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), base_models()):
                cursor.execute(sql)


def open_tab(page, tab: str):
    """Show one of the one-map's panels by clicking its tab (resources 资源, dispatch 调派, supplies 物资,
    post 指挥部, tasks 任务, reports 报告, log 日志), as a person would."""
    page.click(f'#panel-tabs [role=tab][data-tab="{tab}"]')
    page.wait_for_selector(f"#panel-{tab}:not([hidden])", timeout=5_000)


def all_team_types(page):
    """Offer teams of every type in the ranked list (the default offers the types the incident calls for)."""
    page.select_option("#team-type-filter", "")
