"""A moving rainstorm for the demo: rain-gauge readings of a storm cell crossing a district, replayed fast.

The cell is a Gaussian of rain intensity (``peak`` mm/h at its centre, ``radius_km`` its standard
deviation) that crosses the district from south-west to north-east, over the district itself (``crossing``),
during the first ``storm_share`` of the simulated span after the lead; the rest is dry, so the 3-hour sums
fall again and the alarms clear. The *lead* (``lead_hours``, none by default) is light, steady rain over
the district before the cell (``lead_rate`` mm/h at its middle, fading over ``lead_radius_km``): seven
hours of it take the wettest gauges past 50 mm in 12 hours but not in 6, so the computed rainstorm
signal climbs blue → yellow → orange → red as the cell arrives (DOMAIN.md §3.1).

Every rain gauge of the city reports every ``step_minutes`` (rain in mm per
interval, to 0.1 mm as gauges tip), those far from the path zero.

Time: the simulated clock runs ``speed`` times faster than the wall clock and *ends now*: it starts at
``now − span × (1 − 1/speed)``, on the step's grid, so every reading is in the past (the ingestion refuses
readings from the future) and the last step is the present. The gauges have reported over that span
already (the demo's live feed: a dry report every hour), and the rules evaluate a reading only once, so
``simulate rainstorm`` rewinds the rain rules' memory of the gauges to the storm's start
(``actions.rules.rewind``) and the readings are sent as corrections: each one on the hour corrects the
gauge's dry report (its history kept), the others are new. Meanwhile the live feed leaves the rain gauges
to the storm (``demo.live.mark_storm``).
A ``Storm`` is deterministic for its seed.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

KM_PER_DEG_LAT = 111.2


@dataclass
class Gauge:
    source: str
    external_id: str
    x: float
    y: float


@dataclass
class Storm:
    gauges: list[Gauge]
    box: tuple[float, float, float, float]  # the district's lon/lat box the cell crosses
    # Where the cell's centre goes, south-west to north-east (``for_district``: a chord of the district's
    # own shape, so the cell stays over the district); by default 80 % of the box's diagonal.
    path: tuple[tuple[float, float], tuple[float, float]] | None = None
    span_hours: float = 8.0
    storm_share: float = 0.5  # the dry half: 3-hour sums fall and the 30-minute hold passes
    peak: float = 110.0  # mm/h at the centre
    radius_km: float = 6.0
    step_minutes: int = 5
    lead_hours: float = 0.0
    lead_rate: float = 6.0  # mm/h at the district's middle
    lead_radius_km: float = 15.0
    seed: int = 20230117
    offsets: np.ndarray = field(init=False)

    def __post_init__(self):
        rng = np.random.default_rng(self.seed)
        # Each gauge's own gustiness: ±25 %.
        self.offsets = 0.75 + 0.5 * rng.random(len(self.gauges))

    @property
    def steps(self) -> int:
        return int(self.span_hours * 60 // self.step_minutes)

    def centre(self, fraction: float) -> tuple[float, float]:
        """Where the cell is at ``fraction`` (0–1) of the storm's passage."""
        if self.path is not None:
            (x0, y0), (x1, y1) = self.path
            return x0 + (x1 - x0) * fraction, y0 + (y1 - y0) * fraction
        # From the south-west to the north-east through the middle of the district's box, over 80 % of its
        # diagonal (the cell's edges reach the rest): the district is hit hardest, its neighbours less.
        minx, miny, maxx, maxy = self.box
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        hx, hy = (maxx - minx) * 0.4, (maxy - miny) * 0.4
        return cx - hx + 2 * hx * fraction, cy - hy + 2 * hy * fraction

    @property
    def lead_steps(self) -> int:
        return min(self.steps, int(self.lead_hours * 60 // self.step_minutes))

    def _distance_sq(self, cx: float, cy: float) -> np.ndarray:
        x = np.array([g.x for g in self.gauges])
        y = np.array([g.y for g in self.gauges])
        dx = (x - cx) * KM_PER_DEG_LAT * math.cos(math.radians(cy))
        dy = (y - cy) * KM_PER_DEG_LAT
        return dx**2 + dy**2

    def rain(self, step: int) -> np.ndarray:
        """Rain (mm in the interval ending at ``step``) at every gauge."""
        if step < self.lead_steps:
            near = np.exp(-self._distance_sq(*self.centre(0.5)) / (2 * self.lead_radius_km**2))
            mm = self.lead_rate * near * self.offsets * self.step_minutes / 60.0
            return np.where(mm < 0.1, 0.0, np.round(mm, 1))
        step -= self.lead_steps
        storm_steps = max(1, int((self.steps - self.lead_steps) * self.storm_share))
        if step >= storm_steps:
            return np.zeros(len(self.gauges))
        # Intensity grows in, then fades out, over the passage.
        fraction = (step + 0.5) / storm_steps
        envelope = math.sin(math.pi * fraction) ** 0.5
        cx, cy = self.centre(fraction)
        intensity = (
            self.peak * envelope * np.exp(-self._distance_sq(cx, cy) / (2 * self.radius_km**2)) * self.offsets
        )
        mm = intensity * self.step_minutes / 60.0
        return np.where(mm < 0.1, 0.0, np.round(mm, 1))

    def clock(self, now: datetime.datetime, speed: float) -> list[tuple[datetime.datetime, float]]:
        """Each step's simulated time (on the ``step_minutes`` grid) and when to send it (seconds after
        ``now``, the start). A step that would still be in the future when its turn comes is sent when its
        time comes."""
        span = datetime.timedelta(hours=self.span_hours)
        start = now - span * (1 - 1 / max(speed, 1.0))
        grid = self.step_minutes * 60
        start = datetime.datetime.fromtimestamp(int(start.timestamp()) // grid * grid, datetime.UTC)
        out = []
        for i in range(self.steps):
            at = start + datetime.timedelta(minutes=self.step_minutes * (i + 1))
            fast = (at - start).total_seconds() / max(speed, 1.0)
            out.append((at, max(fast, (at - now).total_seconds())))
        return out

    def readings(self, step: int, time: datetime.datetime) -> list[dict]:
        values = self.rain(step)
        stamp = time.isoformat()
        return [
            {
                "source": g.source,
                "station": g.external_id,
                "variable": "rain",
                "time": stamp,
                "value": float(v),
                "correction": True,
            }
            for g, v in zip(self.gauges, values, strict=True)
        ]


def for_district(district_name: str, **options) -> tuple[Storm, object]:
    """A storm over the district named (Chinese name or code), with every rain gauge of the city; and the
    district. ValueError when there is no such district or no rain gauge."""
    import shapely

    from citywatch.core.choices import AreaLevel
    from citywatch.core.models import AdminArea
    from citywatch.monitoring.models import Station

    district = (
        AdminArea.objects.filter(level=AreaLevel.DISTRICT).filter(name=district_name).first()
        or AdminArea.objects.filter(level=AreaLevel.DISTRICT, code=district_name).first()
    )
    if district is None or district.boundary is None:
        known = AdminArea.objects.filter(level=AreaLevel.DISTRICT, boundary__isnull=False).order_by("code")
        names = pgettext("list separator", ", ").join(known.values_list("name", flat=True))
        raise ValueError(
            _("no district '%(name)s'; the districts are %(names)s") % {"name": district_name, "names": names}
        )
    stations = (
        Station.objects.filter(kind="rain_gauge", status="active").select_related("source").order_by("pk")
    )
    gauges = [Gauge(s.source.code, s.external_id, s.location.x, s.location.y) for s in stations]
    if not gauges:
        raise ValueError(_("no rain gauge is registered (run `citywatch demo --load-only` first)"))
    shape = shapely.from_wkb(bytes(district.boundary.wkb))
    return Storm(gauges, shape.bounds, path=crossing(shape), **options), district


def crossing(shape) -> tuple[tuple[float, float], tuple[float, float]]:
    """The cell's path over a district: south-west to north-east (the box's diagonal direction) through a
    point inside it, along the middle 80 % of the chord of the district's shape there — so the cell is over
    the district named for its whole passage, not over a neighbour that the district's box takes in (the
    box of 同安区 reaches into 集美区 and 海沧区)."""
    import shapely

    minx, miny, maxx, maxy = shape.bounds
    middle = shape.centroid if shape.contains(shape.centroid) else shape.representative_point()
    dx, dy = maxx - minx, maxy - miny
    line = shapely.LineString([(middle.x - dx, middle.y - dy), (middle.x + dx, middle.y + dy)])
    pieces = shape.intersection(line)
    pieces = list(getattr(pieces, "geoms", [pieces]))
    chord = next((p for p in pieces if p.distance(middle) < 1e-9), max(pieces, key=lambda p: p.length))
    (x0, y0), (x1, y1) = chord.coords[0], chord.coords[-1]
    if x0 > x1:
        (x0, y0), (x1, y1) = (x1, y1), (x0, y0)
    return (x0 + 0.1 * (x1 - x0), y0 + 0.1 * (y1 - y0)), (x1 - 0.1 * (x1 - x0), y1 - 0.1 * (y1 - y0))
