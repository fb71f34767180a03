"""The platform's notification outbox (通知发件箱), used by every app.

An app's action calls ``citywatch.notify.publish(kind, area=…, subject=…, …)`` inside its own transaction;
that writes one ``Message`` row and nothing else. After the commit, the delivery worker (``citywatch
deliver``, or the periodic task in ``citywatch worker``) fans the message out to the matching
subscriptions and delivers it through the transports (MQTT, webhook, e-mail), retrying with back-off.
Browsers follow the same messages live at ``/events/``. See docs/architecture.md, "Notifications: the
outbox".
"""


def __getattr__(name):
    # ``citywatch.notify.publish`` without importing models while the app registry is being set up.
    if name in ("publish", "publish_many"):
        from citywatch.notify import actions

        return getattr(actions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
