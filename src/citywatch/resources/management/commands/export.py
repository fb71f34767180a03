"""``citywatch export <kind> FILE [--user USERNAME]``: the records of one resource kind as .csv, .xlsx,
.geojson or .gpkg (the format follows the file's extension)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from citywatch.core.models import User
from citywatch.resources.exchange import FORMATS, export_records
from citywatch.resources.kinds import KINDS


class Command(BaseCommand):
    help = "Export the records of one resource kind: citywatch export <kind> FILE [--user USERNAME]"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS), metavar="kind", help=", ".join(sorted(KINDS)))
        parser.add_argument("file", type=Path, help="FILE.csv, .xlsx, .geojson or .gpkg")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            default=None,
            help="export what this user may see (their jurisdiction); default: every record",
        )

    def handle(self, *args, kind, file, user=None, **options):
        fmt = file.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise CommandError(
                gettext("unsupported file type %(suffix)s; use .csv, .xlsx, .geojson or .gpkg")
                % {"suffix": file.suffix or gettext("(none)")}
            )
        acting = None
        if user:
            acting = User.objects.select_related("jurisdiction").filter(username=user, is_active=True).first()
            if acting is None:
                raise CommandError(gettext("no active user %(user)s") % {"user": repr(user)})
        if not file.parent.is_dir():
            raise CommandError(gettext("no such directory: %(directory)s") % {"directory": file.parent})
        data, _, _ = export_records(kind, acting, fmt)
        file.write_bytes(data)
        self.stdout.write(
            gettext("%(kind)s: wrote %(file)s (%(bytes)s bytes)")
            % {"kind": kind, "file": file, "bytes": len(data)}
        )
