"""``citywatch backup FILE``: the database and the data directory's road graph, population grid,
basemap tiles and uploads in one archive (see citywatch.backup and README "Backups")."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from citywatch.backup import BackupError, create_backup, engine_label


class Command(BaseCommand):
    help = (
        "Back up the database and the data directory into one archive FILE (e.g. citywatch-2026-12-07.tar.gz)"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the archive to write")

    def handle(self, *args, file, **options):
        try:
            manifest = create_backup(file)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        size = sum(item["size"] for item in manifest["files"])
        self.stdout.write(
            _(
                "Backed up the %(engine)s database and %(count)s files "
                "(%(mib)s MiB before compression) to %(file)s"
            )
            % {
                "engine": engine_label(manifest["database"]["engine"]),
                "count": len(manifest["files"]) - 1,
                "mib": f"{size / 1048576:.1f}",
                "file": file,
            }
        )
