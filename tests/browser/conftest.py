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


@pytest.fixture
def demo_live_server(live_server, django_db_blocker):
    """The live server with the demo city's areas and people (a transactional test starts from an emptied
    database). Browser tests create the resources they look at, so they need not wait for the full demo."""
    from citywatch.demo.loader import load_demo

    with django_db_blocker.unblock():
        load_demo(with_resources=False)
    return live_server


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()
