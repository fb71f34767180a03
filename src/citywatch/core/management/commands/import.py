from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from citywatch.core.changelog import acting_as
from citywatch.core.choices import ChangeSource
from citywatch.core.importing import IMPORTERS, ImportFailed


class Command(BaseCommand):
    help = "Import data of one kind: citywatch import <kind> FILE [FILE …] [--dry-run]"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="kind", required=True, metavar="kind")
        for kind, importer in sorted(IMPORTERS.items()):
            p = sub.add_parser(kind, help=importer.help)
            p.add_argument("files", nargs="+", type=Path)
            p.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
            importer.add_arguments(p)

    def handle(self, *args, kind, files, dry_run=False, **options):
        importer = IMPORTERS[kind]
        extra = {
            k: v
            for k, v in options.items()
            if k
            not in {
                "verbosity",
                "settings",
                "pythonpath",
                "traceback",
                "no_color",
                "force_color",
                "skip_checks",
            }
        }
        with acting_as(None, ChangeSource.CLI):
            try:
                report = importer.run(files, dry_run=dry_run, **extra)
            except ImportFailed as exc:
                for note in exc.report.notes:
                    self.stderr.write(f"note: {note}")
                for problem in exc.report.problems:
                    self.stderr.write(f"error: {problem}")
                raise CommandError(
                    _("%(count)s problem(s) found; nothing was written") % {"count": len(exc.report.problems)}
                ) from None
        for note in report.notes:
            self.stdout.write(f"note: {note}")
        summary = report.summary()
        if dry_run:
            summary = _("%(summary)s (dry run: nothing written)") % {"summary": summary}
        self.stdout.write(summary)
