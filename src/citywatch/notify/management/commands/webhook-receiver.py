import json
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = (
        "A small HTTP server that receives CityWatch webhooks: checks each signature, prints the message, "
        "answers 200 (401 for a bad signature). For the demo and for testing a subscription."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, required=True, help="port to listen on (0: any free port)")
        parser.add_argument("--secret", required=True, help="the subscription's signing secret")
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")

    def handle(self, *args, port, secret, host, **options):
        from citywatch.notify.receiver import make_server

        if not (0 <= port <= 65535):
            raise CommandError(_("The port must be between 0 and 65535."))
        if not secret:
            raise CommandError(_("Give the subscription's signing secret."))

        def on_message(message, headers):
            self.stdout.write(json.dumps(message, ensure_ascii=False))
            self.stdout.flush()

        try:
            server = make_server(host, port, secret, on_message)
        except OSError as exc:
            raise CommandError(
                _("Cannot listen on %(host)s:%(port)s: %(error)s")
                % {"host": host, "port": port, "error": exc}
            ) from None
        bound_host, bound_port = server.server_address[:2]
        self.stdout.write(
            _("Receiving webhooks on http://%(host)s:%(port)s/ (stop with Ctrl-C)")
            % {"host": bound_host, "port": bound_port}
        )
        self.stdout.flush()

        def on_signal(signum, frame):
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            server.server_close()
