"""The station registry's writes: one record checked (``clean_station``), saved (``save_station``), many
saved at once (``save_stations``: the importer), deleted (``delete_station``).

Stations are registered like the resources (``resources/kinds.py``, ``resources/actions.py``): the same
column readers, the same place checks (GCJ-02 / BD-09 input converted by ``geo/crs.py``, a point inside
the user's jurisdiction and inside its area, swapped lon/lat detected), the same change log (signals for
one record, ``changelog.log_bulk`` for many). Two differences: a station's identity is (source,
external id) — the source's own id, which feeds and MQTT topics name — and its area is *found from its
location* when the record gives none (``locate``: the district whose boundary holds the point, then the
nearest community or street point within it, as incidents are placed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citywatch.core import inputs
from citywatch.core.changelog import log_bulk
from citywatch.core.choices import AreaLevel, ChangeAction
from citywatch.core.errors import Conflict, Invalid
from citywatch.core.models import AdminArea
from citywatch.core.models.base import differs
from citywatch.geo import crs as crslib
from citywatch.monitoring.choices import StationKind, StationStatus
from citywatch.monitoring.models import DataSource, Station
from citywatch.resources import actions as registry
from citywatch.resources.kinds import CellError, Column, Kind, read_choice, read_str

BULK_BATCH = 500


def _read_float(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CellError(_("must be a number"))
    try:
        number = float(inputs.number(value, ""))
    except Invalid:
        raise CellError(_("%(value)s is not a number") % {"value": repr(value)}) from None
    if not math.isfinite(number) or abs(number) > 10000:
        raise CellError(_("must be between -10000 and 10000"))
    return number


def _source_by_code(value):
    source = DataSource.objects.filter(code=value).first() or DataSource.objects.filter(name=value).first()
    if source is None:
        raise CellError(_("unknown data source %(code)s") % {"code": repr(value)})
    return source


# The exchange columns of a station (after the shared ones: external_id, name, lon, lat, area_code, notes).
STATION_KIND = Kind(
    "stations",
    Station,
    gettext_lazy("Stations"),
    (
        Column(
            "source",
            gettext_lazy("data source"),
            read_str(48),
            required=True,
            aliases=("数据源", "来源", "数据源编码"),
            ref=_source_by_code,
            write=lambda s: s.code if s else "",
        ),
        Column(
            "kind",
            gettext_lazy("kind"),
            read_choice(StationKind),
            required=True,
            aliases=("类型", "站点类型"),
        ),
        Column(
            "elevation_m",
            gettext_lazy("elevation (m)"),
            _read_float,
            aliases=("高程", "海拔"),
            api_type=float | None,
        ),
        Column(
            "status",
            gettext_lazy("status"),
            read_choice(StationStatus),
            aliases=("状态",),
            default=StationStatus.ACTIVE,
        ),
    ),
    filters=("kind", "status"),
)
EXTERNAL_ID = STATION_KIND.all_columns[0]


# --- Where a station lies -------------------------------------------------------------------------


@dataclass
class Locator:
    """Finds the area of many points with two queries: the districts' boundaries and the community and
    street points beneath them."""

    shapes: list = field(default_factory=list)  # [(area, prepared shape)] deepest first
    below: dict = field(default_factory=dict)  # district path → (areas, xy array)

    @classmethod
    def load(cls) -> Locator:
        shapes = []
        for area in AdminArea.objects.filter(boundary__isnull=False).order_by("-path"):
            shape = shapely.from_wkb(bytes(area.boundary.wkb))
            shapely.prepare(shape)
            area.boundary = None  # keep the shape only once
            shapes.append((area, shape))
        shapes.sort(key=lambda a: -len(a[0].path))
        return cls(shapes)

    def _points_below(self, area):
        if area.path not in self.below:
            rows = list(
                AdminArea.objects.filter(
                    path__startswith=area.path, point__isnull=False, boundary__isnull=True
                )
                .exclude(pk=area.pk)
                .defer("boundary")
            )
            best = [a for a in rows if a.level == AreaLevel.COMMUNITY] or [
                a for a in rows if a.level == AreaLevel.STREET
            ]
            xy = np.array([[a.point.x, a.point.y] for a in best]) if best else np.empty((0, 2))
            self.below[area.path] = (best, xy)
        return self.below[area.path]

    def locate(self, x: float, y: float) -> AdminArea | None:
        """The area of a WGS-84 point, or None outside every boundary."""
        for area, shape in self.shapes:
            if shapely.contains_xy(shape, x, y):
                candidates, xy = self._points_below(area)
                if not candidates:
                    return area
                coslat = math.cos(math.radians(y))
                d = ((xy[:, 0] - x) * coslat) ** 2 + (xy[:, 1] - y) ** 2
                return candidates[int(np.argmin(d))]
        return None


def locate(x: float, y: float) -> AdminArea | None:
    return Locator.load().locate(x, y)


# --- One record -----------------------------------------------------------------------------------


@dataclass
class Context(registry.Context):
    """The resources' checking context (the user's areas and boundaries, the input CRS) and a locator."""

    locator: Locator | None = None

    @classmethod
    def for_user(cls, user, crs="wgs84") -> Context:
        base = registry.Context.for_user(user, crs)
        return cls(user=base.user, crs=base.crs, areas=base.areas)

    @classmethod
    def operator(cls, crs="wgs84") -> Context:
        areas = {a.code: a for a in AdminArea.objects.defer("boundary")}
        return cls(user=None, crs=crs if isinstance(crs, crslib.CRS) else crslib.parse_crs(crs), areas=areas)

    def area_code_at(self, lon, lat) -> str | None:
        try:
            lon, lat = inputs.lonlat(inputs.optional_float(lon, "lon"), inputs.optional_float(lat, "lat"))
            x, y = inputs.to_wgs84(lon, lat, self.crs)
        except (Invalid, TypeError):
            return None
        if self.locator is None:
            self.locator = Locator.load()
        area = self.locator.locate(x, y)
        return area.code if area is not None else None


def clean_station(data: dict, ctx: Context, *, partial: bool = False, instance=None):
    """Model fields from one record (a file row or an API body) and every problem found, as
    ``resources.actions.clean_record`` reads a resource. Without ``area_code`` the area is found from
    the location (an explicit one must hold the point, as for resources)."""
    data = dict(data)
    moved = data.get("lon") not in (None, "") and data.get("lat") not in (None, "")
    unplaced = False
    if moved and data.get("area_code") in (None, ""):
        code = ctx.area_code_at(data["lon"], data["lat"])
        if code is None:
            unplaced = True
            data.pop("area_code", None)
        else:
            data["area_code"] = code
    fields, problems = registry.clean_record(STATION_KIND, data, ctx, partial=partial, instance=instance)
    if unplaced:
        problems = [p for p in problems if p.column != "area_code"]
        if not any(p.column in ("lon", "lat") for p in problems):
            problems.append(registry.RecordProblem("lon", _("the point lies outside every area")))
    if "external_id" in fields:
        external_id = fields["external_id"] or ""
        if not external_id:
            problems.append(registry.RecordProblem("external_id", _("is required")))
        elif any(c in external_id for c in "/+#") or any(c.isspace() for c in external_id):
            # Feeds name stations in MQTT topics and URLs.
            problems.append(registry.RecordProblem("external_id", _("no '/', '+', '#' or spaces")))
    return fields, problems


def _conflict(exc: IntegrityError) -> Conflict:
    text = str(exc)
    if "external_id" in text or "station_unique" in text:
        return Conflict(_("the source already has a station with this external id"))
    return Conflict(_("the record conflicts with another one"))


def save_station(fields: dict, instance: Station | None = None) -> tuple[Station, str]:
    """Create (``instance`` None) or update one station from cleaned fields: (station, outcome)."""
    return registry.save_one(Station, fields, instance, _conflict)


@transaction.atomic
def delete_station(station: Station) -> None:
    """Remove a station with its readings and alarms (a retired station should rather be marked so)."""
    station.delete()


def save_stations(writes) -> list[tuple[Station, str]]:
    """Create and update many stations at once: ``writes`` is ``[(fields, instance or None)]``; one short
    transaction, one statement per batch of rows, the change log in bulk. A (source, external id) taken
    since the check raises ``registry.RecordConflict`` naming it, and nothing is written."""
    results: list = [None] * len(writes)
    with transaction.atomic():
        new = [(i, f) for i, (f, inst) in enumerate(writes) if inst is None]
        keys = [(f["source"].pk, f["external_id"]) for _i, f in new]
        taken = set()
        for source_id in {k[0] for k in keys}:
            ids = [k[1] for k in keys if k[0] == source_id]
            for start in range(0, len(ids), BULK_BATCH):
                taken.update(
                    (source_id, e)
                    for e in Station.objects.filter(
                        source_id=source_id, external_id__in=ids[start : start + BULK_BATCH]
                    ).values_list("external_id", flat=True)
                )
        if taken:
            raise registry.RecordConflict(
                _("the source already has a station with this external id"), None, {k[1] for k in taken}
            )
        updates = [(i, f, inst) for i, (f, inst) in enumerate(writes) if inst is not None]
        fresh = {}
        pks = [inst.pk for _i, _f, inst in updates]
        for start in range(0, len(pks), BULK_BATCH):
            qs = Station.objects.select_for_update(of=("self",)).select_related("area", "source")
            fresh.update((o.pk, o) for o in qs.filter(pk__in=pks[start : start + BULK_BATCH]))
        gone = [(i, inst.external_id) for i, _f, inst in updates if inst.pk not in fresh]
        if gone:
            raise registry.RecordConflict(
                _("the record was deleted while the import was being checked"),
                gone[0][0],
                [k for _i, k in gone],
            )
        now = timezone.now()
        updated, names = [], set()
        for i, fields, inst in updates:
            obj = fresh[inst.pk]
            changed = registry.changed_fields(obj, fields)
            if not changed:
                results[i] = (obj, "unchanged")
                continue
            for name in changed:
                setattr(obj, name, fields[name])
            obj.updated_at = now
            names.update(changed)
            updated.append(obj)
            results[i] = (obj, "updated")
        created = [Station(**f) for _i, f in new]
        try:
            with transaction.atomic():
                Station.objects.bulk_create(created, batch_size=BULK_BATCH)
                if updated:
                    Station.objects.bulk_update(
                        updated, [*sorted(names), "updated_at"], batch_size=BULK_BATCH
                    )
        except IntegrityError as exc:
            raise registry.RecordConflict(str(_conflict(exc)), None) from None
        log_bulk(created, ChangeAction.CREATE)
        log_bulk(updated, ChangeAction.UPDATE)
        for (i, _f), obj in zip(new, created, strict=True):
            results[i] = (obj, "created")
    return results


def same_place(a, b) -> bool:
    return (
        a is not None
        and b is not None
        and not differs(round(a.x, 7), round(b.x, 7))
        and not differs(round(a.y, 7), round(b.y, 7))
    )
