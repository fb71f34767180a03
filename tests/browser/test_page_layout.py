"""Page layout. On a duty officer's 1920×1080 screen the list tables use the width, so a status badge or a
reading's time is not broken over two lines (at the former 1200px cap "正常上报" read as 正常 / 上报); on a
phone (390×844) the top bar is two short rows, its links unbroken."""

import importlib
import os

import pytest
from django.apps import apps

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


# Where the top bar's parts lie: the rows they sit on (by their vertical centre), the window's widths.
BAR = """() => {
    const mid = (e) => { const r = e.getBoundingClientRect(); return Math.round(r.top + r.height / 2); };
    const bar = document.querySelector("header.topbar");
    return {
        first: [".brand", ".tools select", ".tools .logout button"].map((s) => mid(bar.querySelector(s))),
        nav: [...bar.querySelectorAll(".mainnav a")].map(mid),
        navTop: bar.querySelector(".mainnav").getBoundingClientRect().top,
        firstBottom: bar.querySelector(".brand").getBoundingClientRect().bottom,
        wide: document.documentElement.scrollWidth > window.innerWidth + 1,
    };
}"""


@pytest.mark.parametrize("username", ["team_leader", "siming_officer"])
def test_phone_bar_is_two_short_rows_on_every_page(page, demo_live_server, username):
    """On a phone every page but the one-map (which has its own single-row bar) gets the compact bar: the
    brand, language and log-out on one row, the navigation one scrolling row beneath, no link broken over
    two lines ("修改密/码", "退出登/录" before), the window no wider than the screen."""
    base = demo_live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, base, username)
    for path in ("/resources/", "/account/password/", "/map/"):
        page.goto(f"{base}{path}")
        bar = page.evaluate(BAR)
        assert len(set(bar["first"])) == 1, (path, bar)
        assert len(set(bar["nav"])) == 1 and bar["navTop"] >= bar["firstBottom"] - 1, (path, bar)
        assert not bar["wide"], (path, bar)
        assert page.eval_on_selector_all(".tools .account, .tools button, .mainnav a", ONE_LINE) == [], path
        assert page.locator("main").is_visible()


def test_a_list_table_on_a_phone_keeps_names_whole(page, demo_live_server):
    """The alarm list at 390×844: the station's name is not broken after every character (columns one
    character wide), the table scrolls sideways in its own box and the window stays the screen's width."""
    from tests.support.monitoring import alarm_in

    importlib.import_module("citywatch.monitoring.migrations.0002_variables").seed(apps, None)
    alarm = alarm_in(level="orange")
    base = demo_live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, base, "duty_officer")
    page.goto(f"{base}/monitoring/alarms/")
    link = f'#alarm-table tr[data-id="{alarm.pk}"] td:nth-child(2) a'
    assert page.eval_on_selector_all(link, ONE_LINE) == [], alarm.station.name
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    os.makedirs("var/screenshots", exist_ok=True)
    page.screenshot(path="var/screenshots/alarm-list-phone.png")  # looked at by people, not compared
