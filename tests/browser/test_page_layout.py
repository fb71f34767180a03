"""The list pages on a duty officer's 1920×1080 screen: the tables use the width, so a status badge or a
reading's time is not broken over two lines (at the former 1200px cap "正常上报" read as 正常 / 上报)."""

import pytest

from tests.browser.test_monitoring_duty import small_monitoring_demo
from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_source_and_station_lists_keep_badges_on_one_line(page, demo_live_server):
    small_monitoring_demo()
    base = demo_live_server.url
    page.set_viewport_size({"width": 1920, "height": 1080})
    login(page, base, "city_admin")
    for path in ("/monitoring/sources/", "/monitoring/stations/"):
        page.goto(f"{base}{path}")
        main = page.eval_on_selector("main.page", "m => m.getBoundingClientRect().width")
        assert main > 1600, (path, main)
        cells = "main table .badge, main table tbody td:last-child"
        wrapped = page.eval_on_selector_all(cells, ONE_LINE)
        assert wrapped == [], (path, wrapped)


# The cells whose text sits on more than one line (text nodes only: a state's dot is a box of its own).
ONE_LINE = """els => els.filter(e => {
    const tops = new Set();
    const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
    }
    return tops.size > 1;
}).map(e => e.textContent.trim())"""
