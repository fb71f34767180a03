"""Proposals: the system computes (``signals.py``, DOMAIN.md §3.1) and proposes; a person issues.

``record_signals`` stores what one computation found for one hazard: per area at a level, the one current
proposal of that hazard and area is created or moved to the new level with the readings that triggered it
(yellow becomes orange as the storm grows); an area computed without a signal lets its proposal lapse.
A proposal is *open* while its level is above the highest level issued from it (``issued_level``), so the
same level for the same area is never proposed — nor issued — twice: issuing a warning from it records
the level, and a warning already in force for the hazard and area counts as issued. Each new or risen
proposal writes a ``warning.proposed`` outbox message (the duty screen follows it live).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch import notify
from citywatch.core.errors import Conflict
from citywatch.core.models import AdminArea
from citywatch.warnings.actions.drafting import WarningInput, draft_warning
from citywatch.warnings.choices import COLOUR_NAMES, ProposalStatus, WarningStatus, level_rank
from citywatch.warnings.hazards import ensure_seeded
from citywatch.warnings.models import HazardType, Proposal, Warning

CURRENT = (ProposalStatus.OPEN, ProposalStatus.ISSUED)
DEFAULT_HOURS = 6


@dataclass
class Signal:
    """One area at one level, as computed: ``triggers`` are dicts (station, station_name, variable, time
    ISO 8601, value)."""

    area: AdminArea
    level: str
    value: float
    unit: str
    criterion: str
    observed_at: datetime.datetime
    triggers: list[dict] = field(default_factory=list)


def _issued_in_force(hazard: HazardType, area: AdminArea) -> str:
    """The highest level of a warning in force for this hazard covering the area (issued by anyone)."""
    best = ""
    now = timezone.now()
    rows = Warning.objects.filter(hazard=hazard, status=WarningStatus.ISSUED, exercise=False).filter(
        areas=area
    )
    for warning in rows:
        if (warning.expires is None or warning.expires > now) and level_rank(warning.level) > level_rank(
            best
        ):
            best = warning.level
    return best


@transaction.atomic
def record_signals(
    hazard_code: str, signals: list[Signal], computed_areas: list[AdminArea]
) -> list[Proposal]:
    """Store one computation of ``hazard_code``; ``computed_areas``: the areas whose stations took part
    (those without a signal let their proposal lapse). Returns the proposals that are new or rose."""
    ensure_seeded()
    hazard = HazardType.objects.get(code=hazard_code)
    now = timezone.now()
    raised: list[Proposal] = []
    signalled = {s.area.pk for s in signals}
    current = {
        p.area_id: p
        for p in Proposal.objects.select_for_update().filter(hazard=hazard, status__in=CURRENT).order_by("id")
    }
    for signal in signals:
        proposal = current.get(signal.area.pk)
        if proposal is not None and proposal.exercise:
            # A drill's proposal (one open per hazard and area): the real signal takes the area over.
            proposal.status = ProposalStatus.LAPSED
            proposal.save()
            proposal = None
        issued = _issued_in_force(hazard, signal.area)
        if proposal is None:
            proposal = Proposal(hazard=hazard, area=signal.area, issued_level=issued, history=[])
            old_level = ""
        else:
            old_level = proposal.level
            if level_rank(issued) > level_rank(proposal.issued_level):
                proposal.issued_level = issued
        proposal.level = signal.level
        proposal.value = signal.value
        proposal.unit = signal.unit
        proposal.criterion = signal.criterion[:120]
        proposal.triggers = signal.triggers[:200]
        proposal.observed_at = signal.observed_at
        if signal.level != old_level:
            proposal.history = [*proposal.history, {"level": signal.level, "at": now.isoformat()}][-50:]
        above = level_rank(signal.level) > level_rank(proposal.issued_level)
        proposal.status = ProposalStatus.OPEN if above else ProposalStatus.ISSUED
        proposal.save()
        if above and level_rank(signal.level) > level_rank(old_level):
            raised.append(proposal)
            _announce(proposal)
    for area in computed_areas:
        proposal = current.get(area.pk)
        if proposal is not None and area.pk not in signalled and not proposal.exercise:  # a drill's stays
            proposal.status = ProposalStatus.LAPSED
            proposal.history = [*proposal.history, {"level": "", "at": now.isoformat()}][-50:]
            proposal.save()
    return raised


def _announce(proposal: Proposal) -> None:
    notify.publish(
        "warning.proposed",
        area=proposal.area,
        subject=f"{proposal.area.name}{proposal.hazard.name}{COLOUR_NAMES[proposal.level]}预警建议",
        body=f"{proposal.criterion}: {proposal.value:g} {proposal.unit}",
        payload={
            "proposal": proposal.pk,
            "hazard": proposal.hazard.code,
            "level": proposal.level,
            "area_code": proposal.area.code,
        },
        hazard=proposal.hazard.code,
        level=proposal.level,
        exercise=proposal.exercise,
        public=False,
        obj=proposal,
    )


def draft_from_proposal(user, proposal: Proposal, *, expires=None) -> Warning:
    """A draft warning at the proposal's level for its area, with the default guidance."""
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().select_related("hazard", "area").get(pk=proposal.pk)
        if proposal.status != ProposalStatus.OPEN:
            raise Conflict(
                _("this proposal is %(status)s: a warning at its level was already issued or it has lapsed")
                % {"status": proposal.get_status_display()}
            )
        now = timezone.now()
        stations = "、".join(dict.fromkeys(t.get("station_name") or t["station"] for t in proposal.triggers))
        description = f"{proposal.criterion}：{proposal.value:g} {proposal.unit}" + (
            f"（{stations}）" if stations else ""
        )
        return draft_warning(
            user,
            WarningInput(
                hazard=proposal.hazard.code,
                level=proposal.level,
                area_codes=[proposal.area.code],
                onset=now,
                expires=expires or now + datetime.timedelta(hours=DEFAULT_HOURS),
                description=description[:4000],
                exercise=proposal.exercise,
            ),
            proposal=proposal,
        )


@transaction.atomic
def dismiss_proposal(user, proposal: Proposal) -> Proposal:
    proposal = Proposal.objects.select_for_update().select_related("hazard", "area").get(pk=proposal.pk)
    if proposal.status != ProposalStatus.OPEN:
        raise Conflict(_("only an open proposal can be dismissed"))
    proposal.status = ProposalStatus.DISMISSED
    proposal.save()
    return proposal


# --- computing proposals from the monitoring data ---------------------------------------------------

WINDOWS_HOURS = {"rainstorm": 12, "wind": 24, "high_temperature": 24 * 4}


def _criterion_text(hazard: str, criterion) -> str:
    """The criterion in the site's language (stored with the proposal)."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        if hazard == "rainstorm":
            return _("%(mm)s mm or more in %(hours)s h") % {
                "mm": f"{criterion.mm:g}",
                "hours": criterion.window_minutes // 60,
            }
        if hazard in ("gale", "typhoon"):
            return _("within %(hours)s h mean wind force %(mean)s or gusts force %(gust)s") % {
                "hours": criterion.window_minutes // 60,
                "mean": criterion.mean_scale,
                "gust": criterion.gust_scale,
            }
        if criterion.days_running:
            return _("daily maximum %(celsius)s ℃ or more %(days)s days running") % {
                "celsius": f"{criterion.celsius:g}",
                "days": criterion.days_running,
            }
        return _("%(celsius)s ℃ or more within %(hours)s h") % {
            "celsius": f"{criterion.celsius:g}",
            "hours": criterion.window_minutes // 60,
        }


UNITS = {"rainstorm": "mm", "gale": "级", "typhoon": "级", "high_temperature": "℃"}


def _signals_of(hazard: str, results, stations, districts) -> list[Signal]:
    out = []
    for result in results:
        triggers = [
            {
                "station": stations[t.station][0].external_id,
                "station_name": stations[t.station][0].name,
                "variable": t.variable,
                "time": datetime.datetime.fromtimestamp(t.time, datetime.UTC).isoformat(),
                "value": round(float(t.value), 3),
            }
            for t in result.triggers
        ]
        newest = max((t.time for t in result.triggers), default=None)
        out.append(
            Signal(
                area=districts[result.area],
                level=result.level.code,
                value=round(float(result.value), 3),
                unit=UNITS[hazard],
                criterion=_criterion_text(hazard, result.criterion),
                observed_at=(
                    datetime.datetime.fromtimestamp(newest, datetime.UTC) if newest else timezone.now()
                ),
                triggers=triggers,
            )
        )
    return out


def typhoon_in_force() -> bool:
    """The typhoon context of the signal rules: a (real) typhoon warning in force, official or ours."""
    from citywatch.warnings.queries import in_force_q

    return Warning.objects.filter(in_force_q(), hazard__code="typhoon", exercise=False).exists()


def compute_proposals(now=None) -> dict[str, int]:
    """Run DOMAIN.md §3.1's rules over the newest readings of every district's stations and store the
    proposals (``record_signals``). Returns, per hazard, how many proposals are new or rose. Called by the
    worker after ingestion (every minute) and by ``citywatch warnings propose``."""
    import numpy as np
    from django.conf import settings

    from citywatch.monitoring.evaluation import Readings
    from citywatch.warnings import signals
    from citywatch.warnings.queries import signal_readings

    now = now or timezone.now()

    def hours_ago(hours):
        return now - datetime.timedelta(hours=hours + 1)

    starts = {
        "rain": hours_ago(WINDOWS_HOURS["rainstorm"]),
        "wind_speed": hours_ago(WINDOWS_HOURS["wind"]),
        "wind_gust": hours_ago(WINDOWS_HOURS["wind"]),
        "temperature": hours_ago(WINDOWS_HOURS["high_temperature"]),
    }
    stations, readings = signal_readings(starts, None, now)
    districts: list[AdminArea] = []
    district_index: dict[int, int] = {}
    for _station, district in stations:
        if district.pk not in district_index:
            district_index[district.pk] = len(districts)
            districts.append(district)
    area_of_station = np.array([district_index[d.pk] for _s, d in stations], dtype=np.int64)
    options = {"now": int(now.timestamp()), "max_age_minutes": settings.CITYWATCH_SIGNAL_MAX_AGE_MINUTES}
    minimum = max(1, settings.CITYWATCH_SIGNAL_MIN_STATIONS)
    heat_options = {**options, "max_age_minutes": max(options["max_age_minutes"], 24 * 60)}

    def part(code, hours):
        st, tm, vl = readings[code]
        keep = tm > int(now.timestamp()) - hours * 3600
        return Readings(st[keep], tm[keep], vl[keep])

    rain = part("rain", WINDOWS_HOURS["rainstorm"])
    mean, gust = part("wind_speed", 24), part("wind_gust", 24)
    heat = part("temperature", WINDOWS_HOURS["high_temperature"])
    computed = {
        "rainstorm": (
            signals.rainstorm_signals(rain, area_of_station, min_stations=minimum, **options),
            rain,
        ),
        "gale": (signals.gale_signals(mean, gust, area_of_station, min_stations=minimum, **options), mean),
        "typhoon": (
            signals.typhoon_signals(
                mean, gust, area_of_station, affected=typhoon_in_force(), min_stations=minimum, **options
            ),
            mean,
        ),
        "high_temperature": (
            signals.high_temperature_signals(heat, area_of_station, min_stations=minimum, **heat_options),
            heat,
        ),
    }
    raised = {}
    for hazard, (results, data) in computed.items():
        if hazard in ("gale", "typhoon"):
            station_ids = np.union1d(mean.station, gust.station)
        else:
            station_ids = np.unique(data.station)
        areas = (
            [districts[i] for i in np.unique(area_of_station[station_ids]).tolist()]
            if len(station_ids)
            else []
        )
        signals_found = _signals_of(hazard, results, stations, districts)
        raised[hazard] = len(record_signals(hazard, signals_found, areas))
    return raised
