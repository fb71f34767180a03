"""Read paths of warnings; every one starts from ``restrict(user, action)`` or ``access.get_for`` — except
the public ones (``public_in_force``, ``public_version``), which show only real warnings in force and
nothing internal."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from citywatch.core import access
from citywatch.warnings.choices import ProposalStatus, WarningStatus
from citywatch.warnings.models import HazardType, Proposal, Warning, WarningVersion

RELATED = ("hazard", "area")


def in_force_q(now=None) -> Q:
    now = now or timezone.now()
    return Q(status=WarningStatus.ISSUED) & (Q(expires__isnull=True) | Q(expires__gt=now))


def warnings_for(user, action: str = "view"):
    return Warning.objects.select_related(*RELATED).prefetch_related("areas").restrict(user, action)


def warning_for(user, pk: int, action: str = "view") -> Warning:
    """404 outside the jurisdiction, 403 when the role may not ``action`` it."""
    return access.get_for(user, Warning.objects.select_related(*RELATED), action, pk=pk)


def in_force_for(user):
    return warnings_for(user).filter(in_force_q())


def awaiting_approval_for(user):
    return warnings_for(user).filter(status=WarningStatus.SUBMITTED)


def drafts_for(user):
    return warnings_for(user).filter(status__in=(WarningStatus.DRAFT, WarningStatus.SUBMITTED))


def versions_of(user, warning: Warning):
    access.require(user, WarningVersion, "view")
    return warning.versions.select_related("by").order_by("number")


def proposals_for(user, *, open_only: bool = True):
    qs = Proposal.objects.select_related("hazard", "area").restrict(user, "view")
    return qs.filter(status=ProposalStatus.OPEN) if open_only else qs


def proposal_for(user, pk: int, action: str = "view") -> Proposal:
    return access.get_for(user, Proposal.objects.select_related("hazard", "area"), action, pk=pk)


def hazards():
    from citywatch.warnings.hazards import ensure_seeded

    ensure_seeded()
    return HazardType.objects.prefetch_related("guidance").order_by("order", "code")


# --- public ----------------------------------------------------------------------------------------


def public_in_force(now=None):
    """Real (not drill) warnings in force, for everyone: the public page, its JSON and the Atom feed."""
    return (
        Warning.objects.select_related(*RELATED)
        .prefetch_related("areas")
        .filter(in_force_q(now), exercise=False)
        .order_by("-issued_at", "-id")
    )


def public_version(identifier: str) -> WarningVersion | None:
    """A CAP document CityWatch published (not a drill): ``/cap/alerts/<identifier>.xml``."""
    return (
        WarningVersion.objects.select_related("warning")
        .filter(identifier=identifier, sender=settings.CITYWATCH_CAP_SENDER, warning__exercise=False)
        .first()
    )


def version_for(user, identifier: str) -> WarningVersion | None:
    """Any version the user may see (drills and imported ones too), by CAP identifier."""
    if not access.can(user, WarningVersion, "view"):
        return None
    return (
        WarningVersion.objects.select_related("warning")
        .restrict(user, "view")
        .filter(identifier=identifier)
        .order_by("-sender")
        .first()
    )


def current_versions(warnings) -> dict[int, WarningVersion]:
    """Each warning's newest version (one query)."""
    out: dict[int, WarningVersion] = {}
    ids = [w.pk for w in warnings]
    for version in WarningVersion.objects.filter(warning_id__in=ids).order_by("warning_id", "number"):
        out[version.warning_id] = version
    return out


def public_for_area(warnings, area=None, point=None) -> list:
    """Of the public warnings in force, those that concern ``area`` (a district picked: warnings for it,
    above it, or for places in it) or ``point`` (inside the warning's drawn area, or in a named area's
    district); all of them when neither is given."""
    if area is None and point is None:
        return list(warnings)
    out = []
    for warning in warnings:
        paths = [warning.area.path, *(a.path for a in warning.areas.all())]
        by_area = area is not None and any(p.startswith(area.path) or area.path.startswith(p) for p in paths)
        by_point = point is not None and warning.geometry is not None and warning.geometry.contains(point)
        if by_area or by_point:
            out.append(warning)
    return out


def open_shelters():
    """Shelters open with room left and a location: (pk, name, location, free places, area)."""
    from django.db.models import F

    from citywatch.resources.choices import ShelterStatus
    from citywatch.resources.models import Shelter

    return (
        Shelter.objects.select_related("area")
        .filter(status=ShelterStatus.OPEN, location__isnull=False, occupancy__lt=F("capacity"))
        .only("pk", "name", "location", "capacity", "occupancy", "area__path", "area__name", "area__code")
    )


def nearest_open_shelters(lon: float, lat: float, *, limit: int = 3, minutes: float = 60):
    """The open shelters with room nearest the point by the engine's travel time (estimated without a
    road graph): [(shelter, hit)], fastest first."""
    import numpy as np

    from citywatch.geo import routing

    shelters = list(open_shelters())
    if not shelters:
        return []
    lonlat = np.array([(s.location.x, s.location.y) for s in shelters], dtype=float)
    engine = routing.get_engine()
    answer = engine.nearest_by_time((lon, lat), lonlat, "from", minutes * 60, limit)
    return [(shelters[hit.index], hit) for hit in answer.results]


# --- monitoring data for the signal rules ----------------------------------------------------------


def district_of(area_path: str, districts: dict[str, object]):
    """The district (by path prefix) holding an area path, or None."""
    for path, district in districts.items():
        if area_path.startswith(path):
            return district
    return None


def signal_readings(variable_codes: tuple[str, ...], since, until=None):
    """Readings of the given variables since ``since`` at active stations placed in a district:
    (stations, {variable code: (station index, epoch seconds, value) arrays}), stations being
    [(station, district)] in index order. Good and estimated readings only (not suspect)."""
    import numpy as np

    from citywatch.core.choices import AreaLevel
    from citywatch.core.models import AdminArea
    from citywatch.monitoring.choices import Quality, StationStatus
    from citywatch.monitoring.models import Observation, Station

    districts = {d.path: d for d in AdminArea.objects.filter(level=AreaLevel.DISTRICT)}
    stations = []
    index = {}
    for station in Station.objects.select_related("area").exclude(status=StationStatus.RETIRED):
        district = district_of(station.area.path, districts)
        if district is not None:
            index[station.pk] = len(stations)
            stations.append((station, district))
    out = {}
    for code in variable_codes:
        rows = Observation.objects.filter(variable__code=code, time__gte=since, station_id__in=list(index))
        if until is not None:
            rows = rows.filter(time__lte=until)
        rows = rows.exclude(quality=Quality.SUSPECT).values_list("station_id", "time", "value")
        st, tm, vl = [], [], []
        for station_id, time, value in rows.iterator(chunk_size=5000):
            st.append(index[station_id])
            tm.append(int(time.timestamp()))
            vl.append(value)
        out[code] = (np.array(st, dtype=np.int64), np.array(tm, dtype=np.int64), np.array(vl, dtype=float))
    return stations, out
