"""The delivery log and the subscription pages, in Chinese by default, with the permissions of each role."""

import pytest

from citywatch.notify import worker
from citywatch.notify.models import Delivery, Subscription
from tests.support.notify import message, subscription
from tests.support.personas import client_for
from tests.support.places import HULI, SIMING


@pytest.fixture(autouse=True)
def quick(settings):
    settings.CITYWATCH_MQTT_URL = ""
    settings.CITYWATCH_NOTIFY_WEBHOOK_CONNECT_TIMEOUT = 1


def test_navigation_entries_follow_the_role(city_admin, inspector):
    page = city_admin.get("/notify/deliveries/").content.decode()
    assert "投递记录" in page and "订阅" in page
    page = inspector.get("/map/").content.decode()
    assert "/notify/deliveries/" not in page and "/notify/subscriptions/" not in page
    assert inspector.get("/notify/deliveries/").status_code == 403
    assert inspector.get("/notify/subscriptions/").status_code == 403


def test_the_delivery_log_filters_and_shows_attempts(city_admin):
    failing, _ = subscription("webhook", "http://127.0.0.1:9/nobody", name="失败的接收端")
    mailed, _ = subscription("email", "duty@example.org", name="值班邮箱")
    msg = message(subject="思明区暴雨黄色预警（页面测试）")
    worker.run_once("pages")
    page = city_admin.get("/notify/deliveries/", {"status": "failed"}).content.decode()
    assert "思明区暴雨黄色预警（页面测试）" in page and "失败的接收端" in page and "值班邮箱" not in page
    assert "失败（将重试）" in page
    page = city_admin.get("/notify/deliveries/", {"transport": "email"}).content.decode()
    assert "值班邮箱" in page and "失败的接收端" not in page
    page = city_admin.get("/notify/deliveries/", {"kind": "response.*"}).content.decode()
    assert "思明区暴雨黄色预警（页面测试）" not in page
    # A bad filter value is dropped with a warning, never a 500.
    r = city_admin.get("/notify/deliveries/", {"status": "lost"})
    assert r.status_code == 200 and "已忽略" in r.content.decode()
    d = Delivery.objects.get(subscription=failing, message=msg)
    page = city_admin.get(f"/notify/deliveries/{d.pk}/").content.decode()
    assert "尝试" in page and "pages" not in page  # the worker's id is for the log and the API, not people
    assert "无法连接：该地址上没有接收端在监听" in page and "Errno" not in page and "失败（将重试）" in page


def test_a_duty_officer_sends_a_dead_delivery_again(db):
    sub, _ = subscription("webhook", "http://127.0.0.1:9/nobody", area=SIMING)
    msg = message()
    worker.run_once("pages")
    d = Delivery.objects.get(subscription=sub, message=msg)
    Delivery.objects.filter(pk=d.pk).update(status="dead")
    siming = client_for("siming_officer")
    page = siming.get(f"/notify/deliveries/{d.pk}/").content.decode()
    assert "重新发送" not in page
    assert siming.post(f"/notify/deliveries/{d.pk}/retry/").status_code == 403
    duty = client_for("duty_officer")
    assert "重新发送" in duty.get(f"/notify/deliveries/{d.pk}/").content.decode()
    r = duty.post(f"/notify/deliveries/{d.pk}/retry/", follow=True)
    assert r.status_code == 200
    d.refresh_from_db()
    assert d.status == "pending" and d.retried_by.username == "duty_officer"
    # A second press: it is no longer dead, and the page says so.
    r = duty.post(f"/notify/deliveries/{d.pk}/retry/", follow=True)
    assert "只有已放弃的投递" in r.content.decode()


def test_making_a_subscription_on_the_page_shows_the_secret_once(city_admin):
    r = city_admin.get("/notify/subscriptions/new/")
    assert r.status_code == 200 and "新建订阅" in r.content.decode()
    r = city_admin.post(
        "/notify/subscriptions/new/",
        {
            "name": "区防汛指挥部大屏",
            "transport": "webhook",
            "target": "https://screen.example.org/hook",
            "kinds": "warning.*, response.started",
            "hazards": "typhoon rainstorm",
            "min_level": "yellow",
            "area": SIMING,
            "active": "1",
        },
    )
    assert r.status_code == 302
    sub = Subscription.objects.get(name="区防汛指挥部大屏")
    assert sub.kinds == ["warning.*", "response.started"] and sub.hazards == ["typhoon", "rainstorm"]
    assert sub.area.code == SIMING and sub.active and not sub.include_exercise
    first = city_admin.get(r["Location"]).content.decode()
    assert sub.secret in first and "不会再次显示" in first
    again = city_admin.get(r["Location"]).content.decode()
    assert sub.secret not in again


def test_a_bad_subscription_form_names_the_field_and_saves_nothing(city_admin):
    before = Subscription.objects.count()
    r = city_admin.post(
        "/notify/subscriptions/new/",
        {"name": "坏的", "transport": "webhook", "target": "ftp://example.org/x", "active": "1"},
    )
    assert r.status_code == 422
    page = r.content.decode()
    assert "http:// 或 https://" in page and 'class="row has-error"' in page
    assert Subscription.objects.count() == before


def test_district_officers_read_their_subscriptions_and_change_nothing(db):
    mine, _ = subscription("email", "siming@example.org", area=SIMING, name="思明订阅")
    theirs, _ = subscription("email", "huli@example.org", area=HULI, name="湖里订阅")
    siming = client_for("siming_officer")
    page = siming.get("/notify/subscriptions/").content.decode()
    assert "思明订阅" in page and "湖里订阅" not in page and "新建订阅" not in page
    assert siming.get(f"/notify/subscriptions/{theirs.pk}/").status_code == 404
    detail = siming.get(f"/notify/subscriptions/{mine.pk}/").content.decode()
    assert "思明订阅" in detail and "关闭" not in detail and 'name="target"' not in detail
    assert siming.get("/notify/subscriptions/new/").status_code == 403
    assert siming.post(f"/notify/subscriptions/{mine.pk}/", {"name": "x"}).status_code == 403
    assert siming.post(f"/notify/subscriptions/{mine.pk}/active/", {"active": "0"}).status_code == 403
    mine.refresh_from_db()
    assert mine.name == "思明订阅" and mine.active


def test_edit_and_switch_off_on_the_page(city_admin):
    sub, _ = subscription("mqtt", "citywatch/{kind}", name="MQTT 大屏")
    r = city_admin.post(
        f"/notify/subscriptions/{sub.pk}/",
        {
            "name": "MQTT 大屏（改）",
            "target": "citywatch/{kind}/{area_code}",
            "kinds": "",
            "hazards": "",
            "active": "1",
        },
    )
    assert r.status_code == 302
    sub.refresh_from_db()
    assert (
        sub.name == "MQTT 大屏（改）"
        and sub.target == "citywatch/{kind}/{area_code}"
        and sub.transport == "mqtt"
    )
    r = city_admin.post(f"/notify/subscriptions/{sub.pk}/active/", {"active": "0"})
    sub.refresh_from_db()
    assert r.status_code == 302 and not sub.active
    page = city_admin.get(f"/notify/subscriptions/{sub.pk}/").content.decode()
    assert "开启" in page


def test_english_pages(city_admin):
    city_admin.cookies["django_language"] = "en"
    subscription("email", "duty@example.org", name="Duty mailbox")
    page = city_admin.get("/notify/subscriptions/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Subscriptions" in page


def test_a_delivery_taken_back_from_a_stopped_worker_names_no_worker(city_admin, settings):
    """A claim taken back from a worker that stopped mid-send reads in words on the log and the
    delivery's page, without the worker's internal id (host:pid:token), which the attempt row keeps."""
    from datetime import timedelta

    from django.utils import timezone

    from citywatch.notify import actions
    from citywatch.notify.models import DeliveryAttempt

    settings.CITYWATCH_NOTIFY_CLAIM_TIMEOUT_SECONDS = 300
    subscription("webhook", "http://127.0.0.1:9/nobody", name="中断的接收端")
    msg = message(subject="中断测试")
    long_ago = timezone.now() - timedelta(minutes=10)
    actions.fan_out(msg.pk, "vm-7:4242:ab12cd", now=long_ago)
    claimed = actions.claim_next("vm-7:4242:ab12cd", long_ago, {"webhook"})
    detail = city_admin.get(f"/notify/deliveries/{claimed.pk}/").content.decode()
    assert "发送开始于" in detail and "vm-7:4242" not in detail  # sending: when, not by whom
    assert actions.reclaim_stale() == 1
    assert DeliveryAttempt.objects.get(delivery=claimed).worker == "vm-7:4242:ab12cd"
    for page in (
        city_admin.get("/notify/deliveries/").content.decode(),
        city_admin.get(f"/notify/deliveries/{claimed.pk}/").content.decode(),
    ):
        assert "发送中断：投递进程在发送途中停止" in page and "vm-7:4242" not in page
    # An error written before, with the id in it, reads the same.
    Delivery.objects.filter(pk=claimed.pk).update(
        last_error="投递进程 vm-7:4242:ab12cd 在发送中途停止（认领于 2026-12-07T04:30:00+00:00）"
    )
    page = city_admin.get("/notify/deliveries/").content.decode()
    assert "vm-7:4242" not in page and "开始于 2026-12-07 12:30:00" in page
