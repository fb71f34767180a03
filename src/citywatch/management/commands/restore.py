"""``citywatch restore FILE [--force]``: restore an archive made by ``citywatch backup`` (see
citywatch.backup). Stop the web server and the worker first."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from citywatch.backup import BackupError, engine_label, restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by `citywatch backup` into this instance's database and data directory"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the archive to read")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database and data directory that already hold data",
        )

    def handle(self, *args, file, force=False, **options):
        try:
            manifest = restore_backup(file, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            _("Restored the backup of %(created)s (%(engine)s database, %(count)s files).")
            % {
                "created": manifest["created_at"],
                "engine": engine_label(manifest["database"]["engine"]),
                "count": len(manifest["files"]) - 1,
            }
        )
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write(
                _(
                    "The backup is from an older version of CityWatch: "
                    "run `citywatch migrate` before starting it."
                )
            )
