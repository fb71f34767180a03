import json
import signal
import threading
import time
from collections import Counter

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
        parser.add_argument(
            "--brief",
            action="store_true",
            help="a line per burst of messages (their number by kind, the last subject), not each JSON",
        )

    def handle(self, *args, port, secret, host, brief=False, **options):
        from citywatch.notify.receiver import make_server

        if not (0 <= port <= 65535):
            raise CommandError(_("The port must be between 0 and 65535."))
        if not secret:
            raise CommandError(_("Give the subscription's signing secret."))

        def on_message(message, headers):
            self.stdout.write(json.dumps(message, ensure_ascii=False))
            self.stdout.flush()

        if brief:
            on_message = Bursts(self.stdout).add

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


class Bursts:
    """Messages that arrive together (within ``WINDOW`` seconds of the first) printed as one line: the
    time, how many of each kind, and the last one's subject — the demo's console then says "12 alarms
    arrived" once instead of printing twelve documents."""

    WINDOW = 1.0

    def __init__(self, out, window: float = WINDOW):
        self.out = out
        self.window = window
        self.lock = threading.Lock()
        self.kinds: Counter = Counter()
        self.last = ""
        self.timer: threading.Timer | None = None

    def add(self, message, headers=None):
        with self.lock:
            self.kinds[str(message.get("kind", ""))] += 1
            self.last = str(message.get("subject", ""))
            if self.timer is None:
                self.timer = threading.Timer(self.window, self.flush)
                self.timer.daemon = True
                self.timer.start()

    def flush(self):
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()  # flushed before its time (by hand): the timer has nothing left to do
            kinds, last = self.kinds, self.last
            self.kinds, self.last, self.timer = Counter(), "", None
        total = sum(kinds.values())
        if not total:
            return
        from citywatch.notify.choices import kind_name

        # by the kinds' names (告警产生 12), not their codes (alarm.opened 12)
        counts = _("、").join(f"{kind_name(kind)} {n}" for kind, n in kinds.most_common())
        line = _("%(time)s webhook: %(total)s received (%(counts)s); last: %(subject)s") % {
            "time": time.strftime("%Y-%m-%d %H:%M:%S"),
            "total": total,
            "counts": counts,
            "subject": last,
        }
        self.out.write(line)
        self.out.flush()
