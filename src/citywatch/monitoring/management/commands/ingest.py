"""``citywatch ingest mqtt`` (the MQTT subscriber, runs until stopped) and ``citywatch ingest pull CODE``
(poll one source's pull adapter now)."""

from __future__ import annotations

import json
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from citywatch.core.changelog import acting_as
from citywatch.core.choices import ChangeSource


class Command(BaseCommand):
    help = (
        "Readings in: `ingest mqtt` subscribes to citywatch/obs/<source>/<station>; `ingest pull CODE` polls"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        mqtt = sub.add_parser("mqtt", help="subscribe to CITYWATCH_MQTT_URL (QoS 1, persistent session)")
        mqtt.add_argument("--url", help="broker URL (default CITYWATCH_MQTT_URL)")
        mqtt.add_argument("--client-id", help="MQTT client id (default CITYWATCH_MQTT_CLIENT_ID)")
        mqtt.add_argument("--batch-size", type=int, default=500)
        pull = sub.add_parser("pull", help="poll one source's pull adapter now")
        pull.add_argument("source", help="source code")

    def handle(self, *args, verb, **options):
        getattr(self, f"do_{verb}")(**options)

    def do_mqtt(self, url=None, client_id=None, batch_size=500, **options):
        from citywatch.monitoring.mqtt import ObservationSubscriber

        subscriber = ObservationSubscriber(url if url is not None else settings.CITYWATCH_MQTT_URL,
                                           client_id=client_id, batch_size=batch_size)  # fmt: skip
        if not subscriber.enabled:
            raise CommandError("CITYWATCH_MQTT_URL is not set: MQTT ingestion is off")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        broker = subscriber.broker
        self.stdout.write(
            _("Receiving readings: %(topic)s (MQTT %(host)s:%(port)s, Ctrl-C stops)")
            % {"topic": f"{subscriber.prefix}/+/+", "host": broker.host, "port": broker.port}
        )
        stats = subscriber.run(stop)
        if options.get("verbosity", 1) > 1:  # the counts, for an operator who asks (-v 2)
            self.stdout.write(json.dumps(stats.__dict__))

    def do_pull(self, source, **options):
        from django.db import transaction

        from citywatch.monitoring.adapters import pull
        from citywatch.monitoring.models import DataSource

        record = DataSource.objects.filter(code=source).first()
        if record is None:
            raise CommandError(f"no data source {source!r}")
        if not record.pull_adapter:
            raise CommandError(f"source {source!r} has no pull adapter")
        with acting_as(None, ChangeSource.CLI), transaction.atomic():
            result = pull(record)
        if result is None:
            raise CommandError("the answer could not be read; see the dead letters")
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
