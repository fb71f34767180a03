"""The typhoon-night scenario of the one-map, as a duty officer lives it, on a 1080p screen and on a phone:
record a flood in 集美区 by place search (people trapped, the caller), see water-rescue teams first with
their type and size, the nearest shelter that is open and has room, the population within 15 minutes
beside its ring, dispatch two teams (each order reaches its leader's phone), recall one (with a reason:
the team is free again and its leader's phone shows the order recalled), raise the severity (logged as
an upgrade, without a reload), and reach every panel without the window scrolling. Each assertion checks
what a person sees: text, visibility, position within the viewport.

Every wait is on a state the page shows (an attribute, a row, a text), never on time. The engine runs in
estimated mode (no road graph), so the times are the same on every machine."""

import re

import pytest

from tests.support.browser import api_client, close_streams, create, login, open_tab
from tests.support.personas import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QIAOYING = "350211002"  # 侨英街道, 集美区
TABS = ("resources", "dispatch", "supplies", "post", "tasks", "reports", "log")
SHOTS = "var/screenshots"
FIRE_LEADER = "qiaoying_fire_leader"  # the fire station's leader, a second phone


def qiaoying():
    from citywatch.core.models import AdminArea

    point = AdminArea.objects.get(code=QIAOYING).point
    return point.x, point.y


@pytest.fixture
def jimei(demo_live_server, estimated):
    """Teams and shelters around 侨英街道: a fire team and a social team nearer than the water-rescue
    team; the nearest shelters full or closed, one further on open with room."""
    from citywatch.core import actions
    from citywatch.core.choices import Role
    from citywatch.core.models import AdminArea

    x, y = qiaoying()
    actions.save_user(
        username=FIRE_LEADER,
        role=Role.TEAM_LEADER,
        jurisdiction=AdminArea.objects.get(code="350211"),
        password=DEMO_PASSWORD,
        must_change_password=False,
        first_name="侨英消防站 站长",
    )
    admin = api_client("city_admin")
    area = {"area_code": "350211"}
    made = {
        "water": create(
            admin,
            "rescue-teams",
            name="集美水上救援队",
            kind="water_rescue",
            members=24,
            equipment=[{"name": "冲锋舟", "quantity": 4, "unit": "艘"}, {"name": "救生衣", "quantity": 60}],
            contact_name="林海",
            leader="team_leader",  # orders go to the team's leader on record
            lon=x + 0.03,
            lat=y,
            **area,
        ),
        "fire": create(
            admin,
            "rescue-teams",
            name="侨英消防站",
            kind="fire_rescue",
            members=30,
            leader=FIRE_LEADER,
            lon=x + 0.01,
            lat=y,
            **area,
        ),
        "social": create(
            admin,
            "rescue-teams",
            name="侨英志愿队",
            kind="social",
            members=12,
            lon=x + 0.005,
            lat=y,
            **area,
        ),
        "full": create(
            admin,
            "shelters",
            name="侨英小学避灾点",
            kind="disaster_point",
            capacity=200,
            occupancy=200,
            status="full",
            lon=x + 0.004,
            lat=y,
            **area,
        ),
        "closed": create(
            admin,
            "shelters",
            name="侨英体育馆避灾点",
            kind="disaster_point",
            capacity=800,
            status="closed",
            lon=x,
            lat=y + 0.005,
            **area,
        ),
        "room": create(
            admin,
            "shelters",
            name="集美中学避灾点",
            kind="disaster_point",
            capacity=500,
            occupancy=120,
            status="open",
            lon=x + 0.02,
            lat=y + 0.01,
            **area,
        ),
    }
    return made


def in_view(page, locator, attempts: int = 5) -> bool:
    """The element is shown and lies within the viewport (after scrolling its own panel, never the
    window). A live event may redraw the ranked list between the scroll and the look (a new element,
    not scrolled to, or the old one detached while being scrolled to): then the look waits for the list
    to be drawn and scrolls again."""
    from playwright.sync_api import Error

    size = page.viewport_size
    for _ in range(attempts):
        try:
            locator.scroll_into_view_if_needed()
            box = locator.bounding_box()
        except Error as exc:  # redrawn between finding the element and scrolling to it: look again
            if "not attached" not in str(exc):
                raise
            page.wait_for_selector("#onemap[data-nearby=loaded]", state="attached", timeout=30_000)
            continue
        if (
            locator.is_visible()
            and box is not None
            and box["x"] >= -1
            and box["y"] >= -1
            and box["x"] + box["width"] <= size["width"] + 1
            and box["y"] + box["height"] <= size["height"] + 1
        ):
            return True
        page.wait_for_selector("#onemap[data-nearby=loaded]", state="attached", timeout=30_000)
    return False


def seen_as_is(page, locator) -> bool:
    """The element is shown within the viewport as the page stands, nothing scrolled to reach it."""
    locator.wait_for(timeout=15_000)
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        locator.is_visible()
        and box is not None
        and box["y"] >= 0
        and box["x"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] + box["width"] <= size["width"]
    )


def shown_in_head(page, selector) -> bool:
    """The element lies within the visible part of the panel's head (which scrolls on its own), the head
    not scrolled: not clipped below it."""
    return page.eval_on_selector(
        selector,
        """e => { const head = e.closest('.panel-head'); const h = head.getBoundingClientRect();
                  const b = e.getBoundingClientRect();
                  return head.scrollTop === 0 && b.top >= h.top && b.bottom <= h.bottom; }""",
    )


def window_still(page) -> bool:
    """The window itself has not scrolled and has nothing to scroll to."""
    return page.evaluate(
        "() => window.scrollY === 0 && window.scrollX === 0"
        " && document.documentElement.scrollHeight <= window.innerHeight + 1"
        " && document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


def available_team(page, name):
    """The team's row in the ranked list, once it is offered for dispatch."""
    row = page.locator(
        '#nearby-results .nearby-group[data-kind="rescue-teams"] .nearby-item[data-status="available"]',
        has=page.locator(".nearby-name", has_text=name),
    )
    row.locator(".dispatch-button").wait_for(timeout=15_000)
    return row


def confirmed(page, team, recipient) -> str:
    """The confirmation of the dispatch just made names the team and its recipient: its order number."""
    box = page.locator("#dispatch-confirmation")
    page.wait_for_selector(f"#dispatch-confirmation:not([hidden]):has-text('{team}')", timeout=15_000)
    assert in_view(page, box)
    text = box.inner_text()
    assert recipient in text, text
    return re.search(r"DP\d{6}", text).group(0)


def phone_of(browser, base, username):
    """A team leader's phone on their orders page, its live stream open."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    login(phone, base, username)
    phone.goto(f"{base}/m/dispatches/")
    phone.wait_for_selector("body[data-live=open]", state="attached", timeout=15_000)
    return phone


def order_card(phone, number):
    card = phone.locator("#phone-orders li.order", has_text=number)
    card.wait_for(timeout=15_000)
    return card


@pytest.mark.parametrize("viewport", [(1920, 1080), (390, 844)], ids=["1080p", "phone"])
def test_flood_in_jimei_recorded_by_place_search(browser, demo_live_server, jimei, viewport):
    import os

    width, height = viewport
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    base = demo_live_server.url
    phones = []
    try:
        login(page, base, "duty_officer")
        page.wait_for_load_state()
        page.goto(f"{base}/incidents/new/")

        # The report: a flood found by typing the street's name in pinyin.
        page.fill("#id_title", "侨英街道内涝，居民被困")
        page.select_option("#id_category", "natural_disaster")
        page.select_option("#id_type", "flood")
        page.fill("#place-q", "qiaoying")
        option = page.locator("#place-results li[role=option]").first
        option.wait_for(timeout=15_000)
        assert "侨英街道" in option.inner_text() and "集美区" in option.inner_text()
        option.click()
        x, y = qiaoying()
        assert abs(float(page.input_value("#id_lon")) - x) < 1e-5
        assert abs(float(page.input_value("#id_lat")) - y) < 1e-5
        assert "侨英街道" in page.locator("#incident-map-status").inner_text()
        page.fill("#id_people_trapped", "6")
        page.fill("#id_caller_name", "王小明")
        page.fill("#id_caller_phone", "13800000000")
        page.fill(
            "#id_description",
            "低洼处积水一米，六名居民被困家中。台风暴雨仍在持续，积水还在上涨，附近道路已无法通行，需冲锋舟进入。",
        )
        page.click("#incident-form button[type=submit]")
        page.wait_for_url(re.compile(r"/incidents/\d+/$"), timeout=30_000)  # not the form's own address
        page.wait_for_selector("#onemap[data-nearby=loaded]", state="attached", timeout=30_000)
        assert window_still(page)

        # The incident's status and the buttons that move it, without scrolling anything (on a phone too).
        page.wait_for_selector("#transitions button", timeout=15_000)
        for part in ("#incident-status", "#transitions button >> nth=0"):
            assert seen_as_is(page, page.locator(part)) and shown_in_head(page, part), part

        if width >= 1920:
            # On a 1080p screen the answers are all there at once, nothing scrolled: the nearest team of a
            # type the flood calls for, the nearest open shelter with room, the population within 15 min.
            page.wait_for_selector("#onemap[data-rings=loaded]", state="attached", timeout=60_000)
            for answer in (
                '#nearby-results .nearby-group[data-kind="rescue-teams"] .nearby-item >> nth=0',
                '#nearby-results .nearby-group[data-kind="shelters"] .nearby-item >> nth=0',
                '#reach-list .reach-item[data-minutes="15"]',
            ):
                assert seen_as_is(page, page.locator(answer)), answer

        # What the officer reads first: the incident, who is trapped, who called.
        assert in_view(page, page.locator("#incident-title"))
        facts = page.locator("#incident-facts")
        assert "被困 6 人" in facts.inner_text() and "王小明" in facts.inner_text()
        assert "积水一米" in page.locator("#incident-description").inner_text()

        # Water-rescue teams first, with type and size, although the fire and social teams are nearer.
        teams = page.locator('#nearby-results .nearby-group[data-kind="rescue-teams"] .nearby-item')
        first = teams.first
        first.wait_for(timeout=15_000)
        assert in_view(page, first)
        text = first.inner_text()
        assert "集美水上救援队" in text and "水上救援" in text and "24 人" in text and "冲锋舟" in text
        assert "救援队 队长" in text  # its leader on record, by full name
        names = teams.locator(".nearby-name").all_inner_texts()
        assert names.index("集美水上救援队") < names.index("侨英消防站")
        assert "侨英志愿队" not in names  # not a type a flood calls for …
        page.select_option("#team-type-filter", "")
        assert (
            "侨英志愿队" in teams.locator(".nearby-name").all_inner_texts()
        )  # … until all types are asked for
        page.select_option("#team-type-filter", "preferred")

        # The nearest shelter that is open and has room, not the nearer full or closed ones.
        shelter = page.locator('#nearby-results .nearby-group[data-kind="shelters"] .nearby-item').first
        assert in_view(page, shelter)
        assert "集美中学避灾点" in shelter.inner_text() and "空位 380" in shelter.inner_text()
        shown = page.locator(
            '#nearby-results .nearby-group[data-kind="shelters"] .nearby-name'
        ).all_inner_texts()
        assert "侨英小学避灾点" not in shown and "侨英体育馆避灾点" not in shown

        # Clicking it opens its card and draws its route.
        shelter.locator(".nearby-pick").click()
        card = page.locator(".resource-card")
        card.wait_for(timeout=10_000)
        assert "集美中学避灾点" in card.inner_text()
        page.wait_for_selector("#onemap[data-route=loaded]", state="attached", timeout=30_000)
        page.keyboard.press("Escape")  # the card closes, the map is whole again
        card.wait_for(state="detached", timeout=5_000)

        # The population within 15 minutes, beside a ring of the same minutes.
        reach = page.locator('#reach-list .reach-item[data-minutes="15"]')
        page.wait_for_selector("#onemap[data-rings=loaded]", state="attached", timeout=60_000)
        assert in_view(page, reach) and "15 分钟内" in reach.inner_text()
        assert page.locator('.ring-label[data-minutes="15"]').count() == 1

        # Dispatch the water-rescue team: it shows on the map and on the dispatch tab, confirmed with
        # its order number and who received it.
        open_tab(page, "resources")
        first.locator(".dispatch-button").click()
        page.wait_for_selector("#onemap[data-dispatched='1']", state="attached", timeout=30_000)
        water_order = confirmed(page, "集美水上救援队", "救援队 队长")
        # Who has the order, in the panel's head whichever tab is open.
        summary = page.locator(f"#order-summary li.order-line:has-text('{water_order}')")
        assert (seen_as_is if width >= 1920 else in_view)(page, summary)
        assert "集美水上救援队" in summary.inner_text() and "救援队 队长" in summary.inner_text()
        assert "已下达" in summary.inner_text()

        # And the fire station, whose leader is another person with another phone.
        page.wait_for_selector("#onemap[data-nearby=loaded]", state="attached", timeout=30_000)
        fire = available_team(page, "侨英消防站")
        fire.locator(".dispatch-button").click()
        page.wait_for_selector("#onemap[data-dispatched='2']", state="attached", timeout=30_000)
        fire_order = confirmed(page, "侨英消防站", "侨英消防站 站长")
        open_tab(page, "dispatch")
        rows = page.locator("#dispatch-list li.dispatch")
        water_row = rows.filter(has_text=water_order)
        fire_row = rows.filter(has_text=fire_order)
        assert in_view(page, water_row) and "集美水上救援队" in water_row.inner_text()
        assert in_view(page, fire_row) and "侨英消防站" in fire_row.inner_text()
        page.wait_for_selector('[data-count-for-tab="dispatch"]:text-is("2")', timeout=10_000)

        # Each order is on its own leader's phone, and only there.
        water_phone = phone_of(browser, base, "team_leader")
        fire_phone = phone_of(browser, base, FIRE_LEADER)
        phones = [water_phone, fire_phone]
        water_card = order_card(water_phone, water_order)
        fire_card = order_card(fire_phone, fire_order)
        assert in_view(water_phone, water_card) and "集美水上救援队" in water_card.inner_text()
        assert "侨英街道内涝" in water_card.inner_text() and "王小明" in water_card.inner_text()
        assert in_view(fire_phone, fire_card) and "侨英消防站" in fire_card.inner_text()
        assert water_phone.locator("#phone-orders li.order", has_text=fire_order).count() == 0
        assert fire_phone.locator("#phone-orders li.order", has_text=water_order).count() == 0

        # Recall the fire station's order, with a reason.
        page.once("dialog", lambda dialog: dialog.accept("水上救援队已足够"))
        fire_row.locator("button.recall").click()
        page.wait_for_selector(
            f'#dispatch-list li.dispatch[data-status="recalled"]:has-text("{fire_order}")', timeout=15_000
        )
        assert "已撤回" in fire_row.inner_text() and "水上救援队已足够" in fire_row.inner_text()
        assert fire_row.locator("button.recall").count() == 0
        assert water_row.get_attribute("data-status") == "requested"
        # Its confirmation is gone, and the head lists the water-rescue order alone.
        assert page.locator("#dispatch-confirmation").is_hidden()
        assert page.locator("#order-summary li.order-line").all_inner_texts() == [
            page.locator(f"#order-summary li.order-line:has-text('{water_order}')").inner_text()
        ]
        # The team is free again: off the map's dispatched teams, offered for dispatch again.
        page.wait_for_selector("#onemap[data-dispatched='1']", state="attached", timeout=15_000)
        open_tab(page, "resources")
        assert in_view(page, available_team(page, "侨英消防站").locator(".dispatch-button"))
        # Its leader's phone shows the order recalled, with the reason, and nothing left to answer.
        fire_phone.wait_for_selector(
            f'#phone-orders li.order[data-status="recalled"]:has-text("{fire_order}")', timeout=15_000
        )
        fire_card = order_card(fire_phone, fire_order)
        assert in_view(fire_phone, fire_card.locator(".order-recalled"))
        assert "水上救援队已足够" in fire_card.locator(".order-recalled").inner_text()
        assert fire_card.locator(".order-actions button").count() == 0
        # The water-rescue leader's order stands, to be answered.
        assert water_card.get_attribute("data-status") == "requested"
        assert water_card.locator("button.action-accept").is_visible()

        # Raise the severity to Ⅱ: the header follows without a reload; logged as an upgrade.
        page.click("#edit-incident")
        page.select_option("#incident-edit-form select[name=severity]", "2")
        page.click("#edit-save")
        page.wait_for_selector("#incident-severity:has-text('Ⅱ')", timeout=15_000)
        assert not page.locator("#incident-edit").is_visible()
        assert in_view(page, page.locator("#incident-severity"))
        open_tab(page, "log")
        upgrade = page.locator('#log-list li[data-kind="severity"]').first
        upgrade.wait_for(timeout=15_000)  # the entry arrives over the live stream
        assert in_view(page, upgrade) and "升级" in upgrade.inner_text()

        # Every panel is reachable, and the window never scrolls.
        for tab in TABS:
            open_tab(page, tab)
            tab_button = page.locator(f'#panel-tabs [data-tab="{tab}"]')
            assert in_view(page, tab_button), (tab, tab_button.bounding_box(), page.viewport_size)
            panel = page.locator(f"#panel-{tab}")
            assert panel.is_visible(), tab
            assert page.evaluate(
                "id => document.getElementById(id).getBoundingClientRect().top < window.innerHeight",
                f"panel-{tab}",
            ), tab
            assert window_still(page), tab
        os.makedirs(SHOTS, exist_ok=True)
        open_tab(page, "resources")
        page.screenshot(path=f"{SHOTS}/onemap-scenario-{width}x{height}.png")
        for n, phone in enumerate(phones):
            phone.screenshot(path=f"{SHOTS}/onemap-scenario-phone-{n + 1}.png")
    finally:
        for phone in phones:
            close_streams(phone)
            phone.context.close()
        close_streams(page)
        context.close()
    assert not errors, errors
