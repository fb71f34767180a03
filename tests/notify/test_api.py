"""The outbox API: subscriptions (the secret only on creation and rotation, never in the change log),
messages and deliveries in the caller's jurisdiction, and a person's retry of a dead delivery."""

import json

import pytest

from citywatch.core.models import ObjectChange
from citywatch.notify import actions, worker
from citywatch.notify.models import Delivery, Subscription
from tests.support.notify import message, subscription
from tests.support.places import HULI, SIMING

URL = "/api/v1/notify/subscriptions"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


@pytest.fixture(autouse=True)
def no_mqtt(settings):
    settings.CITYWATCH_MQTT_URL = ""


def test_create_a_webhook_subscription_the_secret_is_shown_once(city_admin):
    r = post(
        city_admin,
        URL,
        {
            "name": "防汛办接收端",
            "transport": "webhook",
            "target": "https://hooks.example.org/citywatch",
            "kinds": ["warning.*", "response.started"],
            "hazards": ["typhoon"],
            "min_level": "orange",
            "area": SIMING,
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    secret = body["secret"]
    assert len(secret) >= 32 and body["signed"] and body["area"]["code"] == SIMING
    assert body["kinds"] == ["warning.*", "response.started"] and body["owner"]
    # Never again: not in the detail, not in the list, not in the change log.
    detail = city_admin.get(f"{URL}/{body['id']}").json()
    assert "secret" not in detail
    assert secret not in city_admin.get(URL).content.decode()
    changes = ObjectChange.objects.filter(content_type__model="subscription", object_id=str(body["id"]))
    assert changes.exists()
    for change in changes:
        assert "secret" not in (change.after or {}) and secret not in json.dumps(change.after)
    stored = Subscription.objects.get(pk=body["id"])
    assert stored.secret == secret


def test_your_own_secret_and_no_secret_for_other_transports(city_admin):
    r = post(
        city_admin,
        URL,
        {"name": "a", "transport": "webhook", "target": "http://h.example/x", "secret": "s" * 20},
    )
    assert r.status_code == 201 and r.json()["secret"] == "s" * 20
    r = post(
        city_admin,
        URL,
        {"name": "b", "transport": "webhook", "target": "http://h.example/x", "secret": "short"},
    )
    assert r.status_code == 422 and "secret" in r.json()["error"]["details"]
    r = post(city_admin, URL, {"name": "c", "transport": "mqtt", "target": "cw/{kind}", "secret": "s" * 20})
    assert r.status_code == 422
    r = post(city_admin, URL, {"name": "d", "transport": "email", "target": "a@example.org; b@example.org"})
    assert (
        r.status_code == 201
        and r.json()["secret"] is None
        and r.json()["target"] == "a@example.org, b@example.org"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"transport": "webhook", "target": "ftp://files.example.org/x"}, "target"),
        ({"transport": "webhook", "target": "javascript:alert(1)"}, "target"),
        ({"transport": "webhook", "target": "http://user:pw@h.example/x"}, "target"),
        ({"transport": "webhook", "target": "http:///nohost"}, "target"),
        ({"transport": "mqtt", "target": "citywatch/{bogus}"}, "target"),
        ({"transport": "mqtt", "target": "citywatch/#"}, "target"),
        ({"transport": "mqtt", "target": "citywatch/{kind.__class__}"}, "target"),
        ({"transport": "mqtt", "target": "$SYS/x"}, "target"),
        ({"transport": "email", "target": "not-an-address"}, "target"),
        ({"transport": "email", "target": ",".join(f"u{i}@example.org" for i in range(21))}, "target"),
        ({"transport": "email", "target": "a@example.org", "kinds": ["Warning Issued"]}, "kinds"),
        ({"transport": "email", "target": "a@example.org", "hazards": ["台风"]}, "hazards"),
        ({"transport": "email", "target": "a@example.org", "area": "999999"}, "area"),
        (
            {"transport": "email", "target": "a@example.org", "public": True, "include_exercise": True},
            "include_exercise",
        ),
        ({"transport": "email", "target": "a@example.org", "name": "   "}, "name"),
    ],
)
def test_bad_subscriptions_are_refused_with_the_field_and_nothing_is_written(city_admin, body, field):
    before = Subscription.objects.count()
    r = post(city_admin, URL, {"name": "坏订阅", **body})
    assert r.status_code == 422, r.content
    assert field in r.json()["error"]["details"], r.json()
    assert Subscription.objects.count() == before


def test_a_district_officer_reads_their_jurisdictions_subscriptions_only(siming, huli):
    mine, _ = subscription("email", "siming@example.org", area=SIMING)
    theirs, _ = subscription("email", "huli@example.org", area=HULI)
    city, _ = subscription("email", "city@example.org")
    ids = {s["id"] for s in siming.get(URL).json()["items"]}
    assert mine.pk in ids and theirs.pk not in ids and city.pk not in ids
    assert siming.get(f"{URL}/{theirs.pk}").status_code == 404
    assert patch(siming, f"{URL}/{mine.pk}", {"name": "x"}).status_code == 403
    assert (
        post(
            siming, URL, {"name": "x", "transport": "email", "target": "a@example.org", "area": SIMING}
        ).status_code
        == 403
    )


def test_patch_changes_what_is_given_and_never_the_transport(city_admin):
    sub, _ = subscription("webhook", "http://h.example/x", kinds=["warning.*"], area=SIMING)
    r = patch(city_admin, f"{URL}/{sub.pk}", {"min_level": "red", "target": "https://h.example/y"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["min_level"] == "red" and body["target"] == "https://h.example/y"
    assert body["kinds"] == ["warning.*"] and body["area"]["code"] == SIMING
    r = patch(city_admin, f"{URL}/{sub.pk}", {"area": ""})
    assert r.status_code == 200 and r.json()["area"] is None
    r = patch(city_admin, f"{URL}/{sub.pk}", {"target": "gopher://h.example"})
    assert r.status_code == 422
    r = city_admin.patch(
        f"{URL}/{sub.pk}", json.dumps({"transport": "email"}), content_type="application/json"
    )
    sub.refresh_from_db()
    assert sub.transport == "webhook" and sub.target == "https://h.example/y"


def test_rotate_secret_and_delete(city_admin):
    sub, secret = subscription("webhook", "http://h.example/x")
    r = city_admin.post(f"{URL}/{sub.pk}/rotate-secret")
    assert r.status_code == 200
    new = r.json()["secret"]
    assert new != secret and Subscription.objects.get(pk=sub.pk).secret == new
    mail, _ = subscription("email", "a@example.org")
    assert city_admin.post(f"{URL}/{mail.pk}/rotate-secret").status_code == 409
    # No delivery yet: deleted. With deliveries: 409, switch it off instead.
    assert city_admin.delete(f"{URL}/{sub.pk}").status_code == 204
    assert not Subscription.objects.filter(pk=sub.pk).exists()
    message()
    worker.run_once("api-test")
    assert Delivery.objects.filter(subscription=mail).exists()
    r = city_admin.delete(f"{URL}/{mail.pk}")
    assert r.status_code == 409 and Subscription.objects.filter(pk=mail.pk).exists()
    r = patch(city_admin, f"{URL}/{mail.pk}", {"active": False})
    assert r.status_code == 200 and r.json()["active"] is False


def test_messages_follow_the_jurisdiction(siming, huli, inspector):
    mine = message(code=SIMING, subject="思明")
    theirs = message(code=HULI, subject="湖里")
    ids = {m["id"] for m in siming.get("/api/v1/notify/messages").json()["items"]}
    assert mine.pk in ids and theirs.pk not in ids
    assert siming.get(f"/api/v1/notify/messages/{theirs.pk}").status_code == 404
    detail = siming.get(f"/api/v1/notify/messages/{mine.pk}").json()
    assert detail["subject"] == "思明" and detail["area"]["code"] == SIMING and detail["deliveries"] == []
    r = siming.get("/api/v1/notify/messages", {"kind": "warning.*", "level": "yellow"})
    assert mine.pk in {m["id"] for m in r.json()["items"]}
    r = siming.get("/api/v1/notify/messages", {"kind": "response.*"})
    assert mine.pk not in {m["id"] for m in r.json()["items"]}
    assert inspector.get(f"/api/v1/notify/messages/{mine.pk}").status_code == 200


def test_deliveries_list_detail_and_retry(city_admin, siming, settings):
    settings.CITYWATCH_NOTIFY_WEBHOOK_CONNECT_TIMEOUT = 1
    sub, _ = subscription("webhook", "http://127.0.0.1:9/nobody", area=SIMING)
    msg = message(code=SIMING)
    worker.run_once("api-test")
    d = Delivery.objects.get(subscription=sub, message=msg)
    r = siming.get("/api/v1/notify/deliveries", {"status": "failed", "transport": "webhook"})
    assert d.pk in {x["id"] for x in r.json()["items"]}
    detail = siming.get(f"/api/v1/notify/deliveries/{d.pk}").json()
    assert (
        detail["status"] == "failed" and detail["log"][0]["outcome"] == "failed" and detail["log"][0]["error"]
    )
    assert detail["message"]["id"] == msg.pk and detail["subscription"]["name"] == sub.name
    # Only a dead one can be retried.
    r = city_admin.post(f"/api/v1/notify/deliveries/{d.pk}/retry")
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    Delivery.objects.filter(pk=d.pk).update(status="dead")
    r = city_admin.post(f"/api/v1/notify/deliveries/{d.pk}/retry")
    assert r.status_code == 200 and r.json()["status"] == "pending" and r.json()["attempts"] == 0
    detail = city_admin.get(f"/api/v1/notify/messages/{msg.pk}").json()
    assert detail["deliveries"] == [{"status": "pending", "count": 1}]


def test_subscriptions_of_a_user_are_limited_to_their_area(user):
    from citywatch.core.errors import Forbidden, Invalid

    with pytest.raises(Forbidden):
        actions.create_subscription(
            user("siming_officer"), {"name": "x", "transport": "email", "target": "a@example.org"}
        )
    with pytest.raises(Invalid) as caught:
        actions.create_subscription(user("city_admin"), {"name": "x", "transport": "sms", "target": "1"})
    assert "transport" in caught.value.details
