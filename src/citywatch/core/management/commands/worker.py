from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Run the background worker (Huey consumer, periodic tasks and the heartbeat included)."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, workers=2, **options):
        from citywatch.core.changelog import acting_as
        from citywatch.core.choices import ChangeSource

        # Huey's own start-up lines are DEBUG (settings.LOGGING): one line, in the site's language, says the
        # worker is up.
        self.stdout.write(
            _("Background worker started: %(threads)s threads, periodic tasks on; stop with Ctrl-C.")
            % {"threads": workers}
        )
        self.stdout.flush()
        with acting_as(None, ChangeSource.WORKER):
            call_command("run_huey", workers=workers, worker_type="thread", periodic=True)
