"""Two connections racing for one row: the first acts inside a transaction and keeps its locks a moment
while the second tries (PostGIS only: SpatiaLite has one writer and no row locks)."""

from __future__ import annotations

import os
import threading

from django.db import connection, transaction

ON_POSTGIS = os.environ.get("CITYWATCH_DATABASE_URL", "").startswith("postgis")


def race(first_call, second_call) -> dict:
    """Run ``first_call`` in a transaction on one thread and, once it holds its locks, ``second_call`` on
    another. Returns {"first": "ok" or the exception, "second": "ok" or the exception}."""
    first_holds_lock = threading.Event()
    results = {}

    def first():
        try:
            with transaction.atomic():
                first_call()
                first_holds_lock.set()
                threading.Event().wait(1.0)  # keep the row lock while the second one tries
            results["first"] = "ok"
        except Exception as exc:  # noqa: BLE001
            results["first"] = exc
        finally:
            first_holds_lock.set()
            connection.close()

    def second():
        first_holds_lock.wait(10)
        try:
            second_call()
            results["second"] = "ok"
        except Exception as exc:  # noqa: BLE001
            results["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results
