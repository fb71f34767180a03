"""notify.publish writes one outbox row in the caller's transaction, refuses to run outside one, sends
nothing, and refuses arguments that break its rules."""

import threading

import pytest
from django.db import connection, transaction

from citywatch import notify
from citywatch.notify.actions import PublishOutsideTransaction
from citywatch.notify.models import Delivery, Message
from tests.support.notify import area, subscription
from tests.support.places import SIMING


def test_publish_inside_a_transaction_writes_one_row_and_sends_nothing(db):
    subscription()
    with transaction.atomic():
        message = notify.publish(
            "warning.issued",
            area=area(SIMING),
            subject="思明区暴雨黄色预警",
            body="请注意防范。",
            payload={"warning": 7, "level": "yellow"},
            hazard="rainstorm",
            level="yellow",
        )
    message.refresh_from_db()
    assert message.kind == "warning.issued" and message.area_path.endswith(f"{SIMING}.")
    assert message.payload == {"warning": 7, "level": "yellow"} and message.fanned_out_at is None
    # Nothing is sent (or even fanned out) from inside the transaction: the worker does it after commit.
    assert not Delivery.objects.filter(message=message).exists()
    envelope = message.envelope()
    assert envelope["area"] == {"code": SIMING, "name": "思明区"} and envelope["status"] == "actual"


def test_a_rolled_back_transaction_takes_the_message_with_it(db):
    before = Message.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify.publish("response.started", area=area(), subject="启动Ⅳ级响应")
        raise RuntimeError("the change failed")
    assert Message.objects.count() == before


def test_publish_outside_a_transaction_is_refused(db):
    # A thread has its own connection, outside the test's transaction: as a request without atomic() is.
    before = Message.objects.count()
    seen = {}

    def outside():
        try:
            seen["in_atomic"] = connection.in_atomic_block
            notify.publish("warning.issued", subject="不应写入")
        except Exception as exc:  # noqa: BLE001
            seen["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=outside)
    thread.start()
    thread.join(10)
    assert seen["in_atomic"] is False
    assert isinstance(seen["error"], PublishOutsideTransaction)
    assert Message.objects.count() == before


def test_the_object_is_referenced(db):
    target = area()
    with transaction.atomic():
        message = notify.publish("alarm.opened", area=target, subject="测试", obj=target)
    assert message.envelope()["object"] == {"type": "core.adminarea", "id": str(target.pk)}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "Warning Issued"}, "event kind"),
        ({"kind": "warning"}, "event kind"),
        ({"kind": "warning.issued.", "subject": "x"}, "event kind"),
        ({"level": "purple"}, "level"),
        ({"hazard": "Rain Storm"}, "hazard"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"payload": [1, 2]}, "JSON object"),
        ({"payload": {"x": float("nan")}}, "JSON"),
        ({"payload": {"x": object()}}, "JSON"),
        ({"payload": {"x": "长" * 40_000}}, "bytes"),
        ({"area": "350203"}, "AdminArea"),
    ],
)
def test_bad_arguments_are_refused_and_nothing_is_written(db, kwargs, match):
    before = Message.objects.count()
    args = {"kind": "warning.issued", "subject": "测试", **kwargs}
    kind = args.pop("kind")
    with pytest.raises(ValueError, match=match), transaction.atomic():
        notify.publish(kind, **args)
    assert Message.objects.count() == before
