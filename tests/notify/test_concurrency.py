"""Two workers at once on PostgreSQL, each with its own connection: every message is fanned out once and
every delivery is sent once (the conditional UPDATEs decide who gets each row)."""

import os
import threading
from collections import Counter

import pytest
from django.db import connection

from citywatch.notify import worker
from citywatch.notify.models import Delivery, DeliveryAttempt, Message
from tests.support.notify import Endpoint, message, subscription

ON_POSTGIS = os.environ.get("CITYWATCH_DATABASE_URL", "").startswith("postgis")


@pytest.mark.skipif(not ON_POSTGIS, reason="needs real row locks and concurrent connections (PostGIS)")
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_one_delivery_twice(settings):
    from citywatch.demo.loader import load_demo

    load_demo(with_resources=False, with_geo=False)  # transactional tests start from an empty database
    settings.CITYWATCH_MQTT_URL = ""
    endpoints = []
    try:
        for i in range(3):
            sub, secret = subscription("webhook", "http://127.0.0.1:9/x", name=f"接收端 {i}")
            endpoint = Endpoint(secret)
            endpoints.append(endpoint)
            type(sub).objects.filter(pk=sub.pk).update(target=endpoint.url)
        subscription("email", "duty@example.org")
        for i in range(40):
            message(subject=f"并发测试 {i}")

        start = threading.Barrier(2)
        errors = []

        def run(name):
            try:
                start.wait(10)
                for _ in range(5):
                    worker.run_once(name)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(f"worker-{n}",)) for n in "ab"]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors

        assert Message.objects.filter(fanned_out_at__isnull=True).count() == 0
        assert Delivery.objects.count() == 40 * 4
        assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
        received = Counter(
            request["headers"]["X-CityWatch-Delivery"]
            for endpoint in endpoints
            for request in endpoint.requests
        )
        assert len(received) == 40 * 3 and set(received.values()) == {1}, received.most_common(3)
        assert all(request["signed"] for endpoint in endpoints for request in endpoint.requests)
        assert set(Counter(DeliveryAttempt.objects.values_list("delivery_id", flat=True)).values()) == {1}
        # Both workers took part (each stamped some fan-outs or sent some deliveries).
        workers = set(Message.objects.values_list("fanned_out_by", flat=True)) | set(
            DeliveryAttempt.objects.values_list("worker", flat=True)
        )
        assert workers == {"worker-a", "worker-b"}, workers
    finally:
        for endpoint in endpoints:
            endpoint.close()
