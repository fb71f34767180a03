import signal
import threading

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Deliver notifications from the outbox (MQTT, webhooks, e-mail): a loop, or one round with --once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="one round (fan out, send what is due), then exit"
        )
        parser.add_argument("--worker-id", default="", help="name of this worker in claims and logs")

    def handle(self, *args, once=False, worker_id="", **options):
        from citywatch.core.changelog import acting_as
        from citywatch.core.choices import ChangeSource
        from citywatch.notify import worker

        worker_id = (worker_id or worker.default_worker_id())[:100]
        with acting_as(None, ChangeSource.WORKER):
            if once:
                result = worker.run_once(worker_id)
                self.stdout.write(
                    _(
                        "Messages fanned out: %(messages)s, deliveries made: %(deliveries)s; sent %(sent)s, "
                        "failed %(failed)s (will retry), dead %(dead)s, taken back %(reclaimed)s."
                    )
                    % result.__dict__
                )
                for transport, reason in result.waiting.items():
                    self.stdout.write(
                        _("%(transport)s waits: %(reason)s") % {"transport": transport, "reason": reason}
                    )
                return
            stop = threading.Event()

            def on_signal(signum, frame):
                stop.set()

            signal.signal(signal.SIGTERM, on_signal)
            signal.signal(signal.SIGINT, on_signal)
            self.stdout.write(
                _("Delivering notifications as %(worker)s; stop with Ctrl-C.") % {"worker": worker_id}
            )
            worker.run(worker_id, stop=stop)
            self.stdout.write(_("Stopped."))
