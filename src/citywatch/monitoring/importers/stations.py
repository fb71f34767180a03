"""``citywatch import stations FILE… [--crs wgs84|gcj02|bd09] [--user USERNAME] [--dry-run]``, and the
same import for the API and the upload page (``import_upload``).

The registries' import (``core.importing.TableImport``), applied to stations: files read by
``resources.exchange.read_table`` (.csv, .xlsx, .geojson; bounded by ``core.limits``), columns named in
English or Chinese (``actions.stations.STATION_KIND``), every row checked first (``clean_station``) and
all written in one short transaction (``save_stations``) or nothing. A row whose (source, external_id)
names an existing station updates it (a column absent from the file leaves that field alone);
``area_code`` may be left out: the area is then found from the point. With a user, every row must lie
in their jurisdiction and only stations they may change are updated.
"""

from __future__ import annotations

from citywatch.core.importing import (
    FileRejected,
    ImportReport,
    TableImport,
    TableImporter,
    register,
)
from citywatch.monitoring.actions import stations as actions
from citywatch.monitoring.models import Station
from citywatch.resources import actions as registry
from citywatch.resources import exchange

__all__ = ["FileRejected", "export_stations", "import_files", "import_upload"]

EXTENSIONS = (".csv", ".xlsx", ".geojson", ".json")
KIND = actions.STATION_KIND
REQUIRED = ("source", "external_id", "name", "kind", "lon", "lat")


class StationImport(TableImport):
    """Stations through ``core.importing.TableImport``: keyed by (source, external id), checked by
    ``clean_station`` and written by ``save_stations``."""

    slug = "stations"
    model = Station
    kind = KIND
    extensions = EXTENSIONS
    conflict = registry.RecordConflict

    def read_table(self, name, data):
        return exchange.read_table(name, data)

    def required(self):
        return list(REQUIRED)

    def context(self, user, crs):
        return actions.Context.operator(crs) if user is None else actions.Context.for_user(user, crs)

    def clean(self, data, ctx, *, partial, instance):
        return actions.clean_station(data, ctx, partial=partial, instance=instance)

    def row_key(self, data):
        key = (str(data.get("source") or "").strip(), str(data.get("external_id") or "").strip())
        return key if key[0] and key[1] else None

    def key_text(self, key):
        return key[1]

    def existing(self, keys):
        existing = {}
        ids = sorted({k[1] for k in keys})
        for start in range(0, len(ids), 500):
            qs = Station.objects.filter(external_id__in=ids[start : start + 500])
            for s in qs.select_related("source", "area"):
                existing[(s.source.code, s.external_id)] = s
        return existing

    def save(self, writes):
        return actions.save_stations(writes)

    def settle(self, row, fields):
        """An unmoved station also keeps its area (found again from the same point)."""
        located = "location" in fields
        super().settle(row, fields)
        area = fields.get("area")
        if located and "location" not in fields and area is not None and area.pk == row.instance.area_id:
            fields.pop("area")


def import_upload(upload, *, user, crs: str = "wgs84", dry_run: bool = False) -> ImportReport:
    return StationImport().upload(upload, user=user, crs=crs, dry_run=dry_run)


def import_files(paths, *, user, crs: str = "wgs84", dry_run: bool = False) -> ImportReport:
    return StationImport().files(paths, user=user, crs=crs, dry_run=dry_run)


@register
class StationImporter(TableImporter):
    """``citywatch import stations FILE…``"""

    kind = "stations"
    help = "stations: .csv, .xlsx, .geojson"
    extensions = EXTENSIONS

    def importer(self) -> StationImport:
        return StationImport()


def export_stations(user, fmt: str, queryset=None) -> tuple[bytes, str, str]:
    """The stations ``user`` may view (``None``: all) as (bytes, content type, file name)."""
    from django.utils import timezone

    if fmt not in ("csv", "xlsx", "geojson"):
        raise ValueError(f"unknown export format {fmt!r}")
    qs = queryset if queryset is not None else Station.objects.all()
    if user is not None:
        qs = qs.restrict(user, "view")
    objects = list(qs.select_related("area", "source").order_by("pk"))
    writer = {"csv": exchange.write_csv, "xlsx": exchange.write_xlsx, "geojson": exchange.write_geojson}[fmt]
    content_type, extension = exchange.FORMATS[fmt]
    stamp = timezone.localtime().strftime("%Y%m%d")
    return writer(KIND, objects), content_type, f"stations-{stamp}.{extension}"
