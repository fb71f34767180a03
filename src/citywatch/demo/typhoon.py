"""A typhoon for the demo: the wind (10-minute mean and gust) and rain readings of a tropical cyclone
approaching Xiamen from the south-east, at every wind, weather and rain station of the city.

The storm's centre moves along a straight track from the sea south-east of the city towards the coast
north-east of it; at the end of the approach (``fraction`` 1) it is ``closest_km`` from the city centre.
Winds follow a modified Rankine vortex (``peak_ms`` at ``radius_km`` from the centre, falling as the square
root of the distance beyond it) with each station's exposure (±15 %, bridges and ports are open sites);
gusts are 1.35–1.5 × the mean. The defaults reach Beaufort/China scale force 8 mean winds and force 10
gusts at the exposed stations nearest the storm at its closest — DOMAIN.md §3.1's typhoon **yellow** —
and stay below orange (mean force 10, gust force 12; gusts stay below force 11, the gale's orange), so
the plan proposes response level Ⅲ. Rain is a
band around the centre (``rain_peak`` mm/h), kept below the rainstorm signal's 50 mm in 12 h so the demo's
chain stays the typhoon's; the 3-hour rainfall alarms of the wettest gauges open.

Time: steps of ``step_minutes`` on their grid, the last one at the present. The stations reported over
that span already (the demo's history and live feed), so the readings are sent as corrections and the
simulator rewinds the wind and rain rules' memory of the stations to the approach's start
(``monitoring.actions.rules.rewind``), as ``simulate rainstorm`` does. A ``Typhoon`` is deterministic.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

import numpy as np

KM_PER_DEG_LAT = 111.2
CENTRE = (118.10, 24.50)  # the city's centre (lon, lat)
WIND_VARIABLES = ("wind_speed", "wind_gust")


@dataclass
class Site:
    source: str
    external_id: str
    x: float
    y: float
    variables: tuple[str, ...]


@dataclass
class Typhoon:
    sites: list[Site]
    approach_hours: float = 2.5
    step_minutes: int = 5
    start_km: float = 260.0  # distance of the centre at the start of the approach
    closest_km: float = 45.0  # … and at its end
    bearing_deg: float = 135.0  # where it comes from, seen from the city (135: the south-east)
    peak_ms: float = 24.0  # the strongest mean wind, at radius_km
    radius_km: float = 30.0
    rain_peak: float = 28.0  # mm/h near the centre
    rain_radius_km: float = 120.0
    seed: int = 20230914
    exposure: np.ndarray = field(init=False)
    gust_factor: np.ndarray = field(init=False)

    def __post_init__(self):
        rng = np.random.default_rng(self.seed)
        self.exposure = 0.85 + 0.3 * rng.random(len(self.sites))
        self.gust_factor = 1.35 + 0.15 * rng.random(len(self.sites))

    @property
    def steps(self) -> int:
        return max(1, int(self.approach_hours * 60 // self.step_minutes))

    def centre(self, fraction: float) -> tuple[float, float]:
        """The storm's centre at ``fraction`` (0–1) of the approach: from ``start_km`` out at the bearing to
        ``closest_km``, drifting north-west."""
        distance = self.start_km + (self.closest_km - self.start_km) * fraction
        bearing = math.radians(self.bearing_deg - 25.0 * fraction)  # it curves north as it nears the coast
        dx_km, dy_km = distance * math.sin(bearing), distance * math.cos(bearing)
        lon = CENTRE[0] + dx_km / (KM_PER_DEG_LAT * math.cos(math.radians(CENTRE[1])))
        return lon, CENTRE[1] + dy_km / KM_PER_DEG_LAT

    def _distances(self, fraction: float) -> np.ndarray:
        cx, cy = self.centre(fraction)
        x = np.array([s.x for s in self.sites])
        y = np.array([s.y for s in self.sites])
        dx = (x - cx) * KM_PER_DEG_LAT * math.cos(math.radians(cy))
        dy = (y - cy) * KM_PER_DEG_LAT
        return np.hypot(dx, dy)

    def winds(self, fraction: float) -> tuple[np.ndarray, np.ndarray]:
        """(mean, gust) in m/s at every site at ``fraction`` of the approach (after it: moving away)."""
        r = np.maximum(self._distances(fraction), 1.0)
        profile = np.where(r <= self.radius_km, r / self.radius_km, np.sqrt(self.radius_km / r))
        # Below force 10 (mean) and 11 (gust): typhoon yellow at most, and gale yellow (its orange is a
        # gust of force 11).
        mean = np.clip(self.peak_ms * profile * self.exposure, 0.5, 24.4)
        gust = np.clip(mean * self.gust_factor, 0.8, 28.4)
        return np.round(mean, 1), np.round(gust, 1)

    def rain(self, fraction: float) -> np.ndarray:
        """Rain (mm in one step) at every site."""
        r = self._distances(fraction)
        intensity = self.rain_peak * np.exp(-((r / self.rain_radius_km) ** 2)) * self.exposure
        mm = intensity * self.step_minutes / 60.0
        return np.where(mm < 0.1, 0.0, np.round(mm, 1))

    def clock(self, now: datetime.datetime) -> list[datetime.datetime]:
        """Each step's time, on the ``step_minutes`` grid (where the demo's live feed reports too, so a
        step corrects its quiet report), the last at or just before ``now``."""
        grid = self.step_minutes * 60
        end = datetime.datetime.fromtimestamp(int(now.timestamp()) // grid * grid, datetime.UTC)
        return [end - datetime.timedelta(minutes=self.step_minutes * k) for k in range(self.steps)][::-1]

    def readings(self, fraction: float, time: datetime.datetime) -> list[dict]:
        mean, gust = self.winds(fraction)
        rain = self.rain(fraction)
        stamp = time.isoformat()
        out = []
        for i, site in enumerate(self.sites):
            values = {"wind_speed": mean[i], "wind_gust": gust[i], "rain": rain[i]}
            for variable in site.variables:
                out.append(
                    {
                        "source": site.source,
                        "station": site.external_id,
                        "variable": variable,
                        "time": stamp,
                        "value": float(values[variable]),
                        "correction": True,  # the stations reported over the span already (the live feed)
                    }
                )
        return out


def for_city(**options) -> Typhoon:
    """A typhoon over every active station of the city that reports wind or rain (the demo's kinds).
    ValueError when there is no wind station (load the demo first)."""
    from citywatch.demo.monitoring import KIND_VARIABLES
    from citywatch.monitoring.models import Station

    sites = []
    for station in Station.objects.filter(status="active").select_related("source").order_by("pk"):
        wanted = tuple(v for v in KIND_VARIABLES.get(station.kind, ()) if v in (*WIND_VARIABLES, "rain"))
        if wanted:
            loc = station.location
            sites.append(Site(station.source.code, station.external_id, loc.x, loc.y, wanted))
    if not any(set(s.variables) & set(WIND_VARIABLES) for s in sites):
        raise ValueError("no wind station is registered (run `citywatch demo --load-only` first)")
    return Typhoon(sites, **options)
