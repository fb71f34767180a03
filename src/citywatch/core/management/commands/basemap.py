from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from citywatch.core import basemap
from citywatch.geo.tiles import published


class Command(BaseCommand):
    help = "Cut the basemap's area tiles again (after areas were edited by hand) and list the tilesets."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="cut them even if nothing changed")

    def handle(self, *args, force=False, **options):
        result = basemap.build_area_tiles(force=force)
        if result["status"] == "built":
            self.stdout.write(
                _("area tiles: %(tiles)s tiles in %(seconds)s s")
                % {"tiles": result["tiles"], "seconds": result["seconds"]}
            )
        elif result["status"] == "unchanged":
            self.stdout.write(_("area tiles: unchanged"))
        else:
            self.stdout.write(_("area tiles: there are no areas yet (citywatch import areas)"))
        for name in basemap.TILESETS:
            current = published(basemap.tileset_dir(name))
            if current is None:
                self.stdout.write(_("%(name)s: none published") % {"name": name})
                continue
            info = current.info
            self.stdout.write(
                _("%(name)s: %(version)s, zoom %(min)s–%(max)s, %(tiles)s tiles, %(kib)s KiB")
                % {
                    "name": name,
                    "version": current.version,
                    "min": info["minzoom"],
                    "max": info["maxzoom"],
                    "tiles": info["tiles"],
                    "kib": f"{info['bytes'] / 1024:,.0f}",
                }
            )
