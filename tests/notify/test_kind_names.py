"""The delivery log and the subscription pages name event kinds and hazards in the user's language — never
their codes (``warning.issued``, ``rainstorm``): in Chinese by default, in English for an English user;
the subscription form offers them as ticked boxes and saves the codes."""

import re

import pytest

from citywatch.notify import worker
from citywatch.notify.models import Delivery, Subscription
from tests.support.notify import message, subscription
from tests.support.places import SIMING

CODES = re.compile(r"\b(warning|response|alarm|dispatch|action)\.(\*|[a-z_]+)")


@pytest.fixture(autouse=True)
def quick(settings):
    settings.CITYWATCH_MQTT_URL = ""
    settings.CITYWATCH_NOTIFY_WEBHOOK_CONNECT_TIMEOUT = 1


def visible(html: str) -> str:
    """The text a reader sees: tags, attribute values and scripts left out."""
    html = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_the_delivery_log_names_event_kinds(city_admin):
    sub, _ = subscription("webhook", "http://127.0.0.1:9/nobody", name="名称测试接收端")
    msg = message("warning.issued", subject="思明区暴雨黄色预警（名称测试）")
    message("response.started", subject="思明区防汛Ⅳ级应急响应（名称测试）")
    worker.run_once("pages")
    page = city_admin.get("/notify/deliveries/").content.decode()
    assert "发布预警" in visible(page) and "启动响应" in visible(page)
    assert not CODES.search(visible(page)), CODES.search(visible(page))
    assert '<option value="warning.*">全部预警事件</option>' in page  # the filter offers names
    d = Delivery.objects.get(subscription=sub, message=msg)
    detail = visible(city_admin.get(f"/notify/deliveries/{d.pk}/").content.decode())
    assert "发布预警" in detail and not CODES.search(detail)
    english = city_admin.get(f"/notify/deliveries/{d.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    if "Delivery log" in english:  # the site follows the browser's language
        assert "Warning issued" in visible(english)


def test_subscription_pages_name_kinds_and_hazards(city_admin):
    sub, _ = subscription(
        "email",
        "duty@example.org",
        name="名称测试订阅",
        kinds="warning.*, response.started, alarm.opened",
        hazards="typhoon, rainstorm",
        area=SIMING,
    )
    listing = visible(city_admin.get("/notify/subscriptions/").content.decode())
    assert "全部预警事件" in listing and "启动响应" in listing and "告警产生" in listing
    assert "台风" in listing and "暴雨" in listing
    assert not CODES.search(listing) and "typhoon" not in listing and "rainstorm" not in listing
    detail = city_admin.get(f"/notify/subscriptions/{sub.pk}/").content.decode()
    assert not CODES.search(visible(detail)) and "rainstorm" not in visible(detail)
    # the form: ticked boxes with names, the codes as their values
    assert re.search(r'<input type="checkbox" name="kinds" value="warning\.\*" checked> 全部预警事件', detail)
    assert re.search(r'<input type="checkbox" name="hazards" value="typhoon" checked> 台风', detail)
    assert re.search(r'<input type="checkbox" name="hazards" value="gale"> 大风', detail)
    r = city_admin.post(
        f"/notify/subscriptions/{sub.pk}/",
        {
            "name": "名称测试订阅",
            "target": "duty@example.org",
            "kinds": ["warning.issued", "dispatch.*"],
            "hazards": ["gale"],
            "area": SIMING,
            "active": "1",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    sub = Subscription.objects.get(pk=sub.pk)
    assert sub.kinds == ["warning.issued", "dispatch.*"] and sub.hazards == ["gale"]
