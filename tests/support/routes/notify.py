"""The outbox's routes in the shared matrix: objects made in 思明区, looked at from 湖里区."""

from tests.support.matrix import Route, register
from tests.support.places import SIMING


def _message():
    from tests.support.notify import message

    return {"pk": message(code=SIMING).pk}


def _subscription():
    from tests.support.notify import subscription

    sub, _ = subscription("webhook", "http://127.0.0.1:9/hook", area=SIMING)
    return {"pk": sub.pk}


def _delivery():
    from citywatch.notify import actions
    from citywatch.notify.models import Delivery
    from tests.support.notify import message, subscription

    sub, _ = subscription("webhook", "http://127.0.0.1:9/hook", area=SIMING)
    msg = message(code=SIMING)
    actions.fan_out(msg.pk, "matrix")
    return {"pk": Delivery.objects.get(message=msg, subscription=sub).pk}


NEW_SUBSCRIPTION = {
    "name": "矩阵测试",
    "transport": "webhook",
    "target": "http://127.0.0.1:9/x",
    "area": SIMING,
}

register(
    Route(
        "GET",
        "/api/v1/notify/messages",
        outsider=None,
        forbidden="team_leader",
        malformed={"query": {"level": "purple"}},
    ),
    Route("GET", "/api/v1/notify/messages/{pk}", make=_message, malformed={"path": {"pk": "abc"}}),
    Route(
        "GET",
        "/api/v1/notify/subscriptions",
        outsider=None,
        forbidden="inspector",
        malformed={"query": {"active": "maybe"}},
    ),
    Route(
        "POST",
        "/api/v1/notify/subscriptions",
        body=NEW_SUBSCRIPTION,
        outsider=None,
        forbidden="siming_officer",
        malformed={"body": {**NEW_SUBSCRIPTION, "transport": "fax"}},
    ),
    Route("GET", "/api/v1/notify/subscriptions/{pk}", make=_subscription, malformed={"path": {"pk": "0"}}),
    Route(
        "PATCH",
        "/api/v1/notify/subscriptions/{pk}",
        make=_subscription,
        body={"name": "改名"},
        forbidden="siming_officer",
        malformed={"body": {"kinds": "warning.issued"}},
    ),
    Route(
        "DELETE",
        "/api/v1/notify/subscriptions/{pk}",
        make=_subscription,
        forbidden="siming_officer",
        malformed={"path": {"pk": "99999999999999999999999"}},
    ),
    Route(
        "POST",
        "/api/v1/notify/subscriptions/{pk}/rotate-secret",
        make=_subscription,
        forbidden="siming_officer",
        malformed={"path": {"pk": "-1"}},
    ),
    Route(
        "GET",
        "/api/v1/notify/deliveries",
        outsider=None,
        forbidden="inspector",
        malformed={"query": {"status": "lost"}},
    ),
    Route("GET", "/api/v1/notify/deliveries/{pk}", make=_delivery, malformed={"path": {"pk": "1.5"}}),
    Route(
        "POST",
        "/api/v1/notify/deliveries/{pk}/retry",
        make=_delivery,
        forbidden="siming_officer",
        malformed={"path": {"pk": "x"}},
    ),
)
