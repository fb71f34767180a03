"""Playwright for Python driving Debian's chromium (``playwright install`` cannot download browsers here)."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CITYWATCH_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-gl=swiftshader",
    "--enable-unsafe-swiftshader",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"chromium not found at {CHROMIUM}: run `make test`, which installs it")
    # Playwright's sync API runs an event loop; Django must allow sync DB access from the test thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


# The rows the first ``load_demo(with_resources=False)`` wrote, restored into the emptied database of each
# later browser test (a transactional test flushes everything when it ends). Loading parses and repairs
# the boundaries and places ~600 synthetic points one action at a time; restoring the same rows takes a
# fraction of that. ``test_restored_base_is_what_the_loader_writes`` checks nothing else is needed.
_BASE_ROWS: dict = {}


def base_models():
    from citywatch.core.models import AdminArea, ObjectChange, Organisation, User

    return [AdminArea, Organisation, User, ObjectChange]


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


@pytest.fixture
def demo_live_server(live_server, django_db_blocker):
    """The live server with the demo city's areas and people (a transactional test starts from an emptied
    database). Browser tests create the resources they look at, so they need not wait for the full demo."""
    with django_db_blocker.unblock():
        restore_base()
    return live_server


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()
