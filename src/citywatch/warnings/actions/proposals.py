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
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch import notify
from citywatch.core import inputs
from citywatch.core.errors import Conflict
from citywatch.core.models import AdminArea
from citywatch.warnings.actions.drafting import WarningInput, draft_warning
from citywatch.warnings.choices import COLOUR_NAMES, ProposalStatus, WarningStatus, level_rank
from citywatch.warnings.hazards import ensure_seeded
from citywatch.warnings.models import HazardType, Proposal, Warning

log = logging.getLogger(__name__)

CURRENT = (ProposalStatus.OPEN, ProposalStatus.ISSUED, ProposalStatus.DISMISSED)
DEFAULT_HOURS = 6
MAX_TRIGGERS = 200  # triggering readings kept with a proposal


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


def _issued_in_force(hazard: HazardType) -> dict[int, str]:
    """Per area pk, the highest level of a warning in force for this hazard covering it (issued by
    anyone): one query for every area of a computation."""
    best: dict[int, str] = {}
    now = timezone.now()
    rows = Warning.areas.through.objects.filter(
        warning__hazard=hazard, warning__status=WarningStatus.ISSUED, warning__exercise=False
    ).values_list("adminarea_id", "warning__level", "warning__expires")
    for area_pk, level, expires in rows:
        if (expires is None or expires > now) and level_rank(level) > level_rank(best.get(area_pk, "")):
            best[area_pk] = level
    return best


@transaction.atomic
def record_signals(
    hazard_code: str,
    signals: list[Signal],
    computed_areas: list[AdminArea],
    *,
    batch: bool = False,
    raise_only=frozenset(),
    held_since: datetime.datetime | None = None,
    subsumed: dict[int, str] | None = None,
) -> list[Proposal]:
    """Store one computation of ``hazard_code``; ``computed_areas``: the areas whose stations took part
    (those without a signal let their proposal lapse). Returns the proposals that are new or rose.

    ``batch``: the computation of an ingested batch (``after_batch``): the current proposals of the
    computed areas are stamped ``batch_at``. ``raise_only`` (area pks): areas judged as of a batch older
    than their newest reading (a late backlog, a replay): a signal there only raises (or creates) the
    proposal, never lowers nor lapses it. ``held_since`` (the worker's minute): a proposal a batch
    recomputed since then is left alone. ``subsumed`` (area pk → hazard code): areas whose signal another
    hazard's took over (a gale under a typhoon's): their proposal lapses, its history saying by what.

    A dismissed proposal (``dismiss_proposal``) stays the area's proposal: a signal at or below its
    ``dismissed_level`` keeps it dismissed (nothing proposed again, no message), one above opens it again
    (and announces it); a computation without a signal there lets it lapse like any other."""
    ensure_seeded()
    hazard = HazardType.objects.get(code=hazard_code)
    now = timezone.now()
    raised: list[Proposal] = []
    current = {
        p.area_id: p
        for p in Proposal.objects.select_for_update(of=("self",))
        .select_related("area")
        .defer("area__boundary", "area__point")  # the change log wants the area's path only
        .filter(hazard=hazard, status__in=CURRENT)
        .order_by("id")
    }
    in_force = _issued_in_force(hazard) if signals else {}
    if held_since is not None:
        held = {pk for pk, p in current.items() if p.batch_at is not None and p.batch_at >= held_since}
        signals = [s for s in signals if s.area.pk not in held]
        computed_areas = [a for a in computed_areas if a.pk not in held]
    if batch:
        for area in computed_areas:
            proposal = current.get(area.pk)
            if proposal is not None and not proposal.exercise:
                proposal.batch_at = now
    signals = [
        s
        for s in signals
        if s.area.pk not in raise_only
        or current.get(s.area.pk) is None
        or current[s.area.pk].exercise
        or level_rank(s.level) > level_rank(current[s.area.pk].level)
    ]
    signalled = {s.area.pk for s in signals}
    for signal in signals:
        proposal = current.get(signal.area.pk)
        if proposal is not None and proposal.exercise:
            # A drill's proposal (one open per hazard and area): the real signal takes the area over.
            proposal.status = ProposalStatus.LAPSED
            proposal.save()
            proposal = None
        issued = in_force.get(signal.area.pk, "")
        if proposal is None:
            proposal = Proposal(
                hazard=hazard,
                area=signal.area,
                issued_level=issued,
                history=[],
                batch_at=now if batch else None,
            )
            old_level = ""
        else:
            old_level = proposal.level
            if level_rank(issued) > level_rank(proposal.issued_level):
                proposal.issued_level = issued
        proposal.level = signal.level
        proposal.value = signal.value
        proposal.unit = signal.unit
        proposal.criterion = signal.criterion[:120]
        proposal.triggers = signal.triggers[:MAX_TRIGGERS]
        proposal.observed_at = signal.observed_at
        if signal.level != old_level:
            proposal.history = [*proposal.history, {"level": signal.level, "at": now.isoformat()}][-50:]
        above = level_rank(signal.level) > level_rank(proposal.issued_level)
        if not above:
            proposal.status = ProposalStatus.ISSUED
        elif level_rank(signal.level) <= level_rank(proposal.dismissed_level):
            proposal.status, above = ProposalStatus.DISMISSED, False
        else:
            proposal.status = ProposalStatus.OPEN
        proposal.save()
        if above and level_rank(signal.level) > level_rank(old_level):
            raised.append(proposal)
            _announce(proposal)
    for area in computed_areas:
        proposal = current.get(area.pk)
        if proposal is None or area.pk in signalled or proposal.exercise:  # a drill's stays
            continue
        if area.pk in raise_only:  # an old batch: nothing to lower; only the stamp
            if batch:
                proposal.save(update_fields=["batch_at"])
            continue
        proposal.status = ProposalStatus.LAPSED
        entry = {"level": "", "at": now.isoformat()}
        if subsumed and area.pk in subsumed:
            entry.update(event="subsumed", by=subsumed[area.pk])
        proposal.history = [*proposal.history, entry][-50:]
        proposal.save()
    return raised


def _announce(proposal: Proposal) -> None:
    _publish("warning.proposed", proposal, "", f"{proposal.criterion}：{proposal.value:g} {proposal.unit}")


def _publish(kind: str, proposal: Proposal, subject_suffix: str, body: str) -> None:
    """A proposal's message (never public): the duty screens follow proposals live through it."""
    notify.publish(
        kind,
        area=proposal.area,
        subject=f"{proposal.area.name}{proposal.hazard.name}{COLOUR_NAMES[proposal.level]}预警建议{subject_suffix}",
        body=body,
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
def dismiss_proposal(user, proposal: Proposal, reason: str) -> Proposal:
    """A duty officer says no to an open proposal, with a reason (kept with it and in the change log).
    It is not proposed again for the same hazard and area at that level or below while the signal holds
    (``record_signals``); it opens again, announced, when the signal rises above the dismissed level."""
    reason = inputs.text(reason, _("reason"), maximum=2000, required=True)
    proposal = Proposal.objects.select_for_update().select_related("hazard", "area").get(pk=proposal.pk)
    if proposal.status != ProposalStatus.OPEN:
        raise Conflict(
            _("only an open proposal can be dismissed; this one is %(status)s")
            % {"status": proposal.get_status_display()}
        )
    now = timezone.now()
    proposal.status = ProposalStatus.DISMISSED
    proposal.dismissed_level = proposal.level
    proposal.dismiss_reason = reason
    proposal.dismissed_by = user if getattr(user, "pk", None) else None
    proposal.dismissed_at = now
    proposal.history = [
        *proposal.history,
        {"level": proposal.level, "at": now.isoformat(), "event": "dismissed"},
    ][-50:]
    proposal.save()
    # the duty screens follow it live (the warnings panel refreshes on warning.*); never public
    _publish("warning.proposal_dismissed", proposal, "已驳回", reason)
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


def _signals_of(hazard: str, results, stations, districts, observed=None) -> list[Signal]:
    """``observed`` (area index → epoch seconds): each area's newest triggering reading when the results
    hold only the triggers a proposal keeps (the summed rainstorm); otherwise the newest of them."""
    out = []
    for result in results:
        every = list(result.triggers)
        triggers = [
            {
                "station": stations[t.station][0].external_id,
                "station_name": stations[t.station][0].name,
                "variable": t.variable,
                "time": datetime.datetime.fromtimestamp(t.time, datetime.UTC).isoformat(),
                "value": round(float(t.value), 3),
            }
            for t in every[:MAX_TRIGGERS]  # (what a proposal keeps)
        ]
        newest = observed[result.area] if observed is not None else max((t.time for t in every), default=None)
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


# The variables each computed hazard reads.
VARIABLES = {
    "rainstorm": ("rain",),
    "gale": ("wind_speed", "wind_gust"),
    "typhoon": ("wind_speed", "wind_gust"),
    "high_temperature": ("temperature",),
}


def compute_proposals(
    now=None, *, hazards=None, districts=None, batch_newest=None, incremental: bool = True
) -> dict[str, int]:
    """Run DOMAIN.md §3.1's rules over the newest readings of every district's stations and store the
    proposals (``record_signals``). Returns, per hazard, how many proposals are new or rose. ``hazards``
    (codes) and ``districts`` (district pks) limit the computation (an ingested batch: ``after_batch``).
    Called after each ingested batch, by the worker every minute (fresh readings age, a silent gauge's
    proposal lapses) and by ``citywatch warnings propose``.

    Each hazard is computed as of its ``_data_clock`` (its newest reading in the city) — or, for an
    ingested batch (``batch_newest``: hazard → the batch's newest reading of its variables), as of the
    batch's own newest reading (as the alarm rules, ``evaluate_batch``), never after ``now`` nor more than
    ``CLOCK_LAG`` before it. A district whose newest reading is newer than the batch's (a late backlog, a
    replayed storm beside a live feed) is only raised, never lowered, by it. The worker's minute leaves a
    proposal a batch recomputed within ``BATCH_HOLD`` alone. The hazards' rows are locked before the
    readings are read, so two computations (two feeds' batches at once, the worker's minute) take turns
    and the later one reads what the earlier one committed.

    ``incremental`` (the default): the rainstorm's trailing accumulations are summed by the database
    (``queries.rain_accumulations``: two aggregate queries over the batch's districts' gauges, then only
    the readings a proposal keeps as its triggers) instead of reading every reading of the 12-hour window
    into the process; the result is the same (``tests/warnings/test_incremental_proposals.py`` compares
    both over a storm). ``incremental=False`` reads the readings, as the other hazards do."""
    import numpy as np
    from django.conf import settings

    from citywatch.monitoring.evaluation import Readings
    from citywatch.warnings import signals
    from citywatch.warnings.queries import rain_accumulations as signal_accumulations
    from citywatch.warnings.queries import signal_readings

    now = now or timezone.now()
    hazards = [h for h in VARIABLES if hazards is None or h in hazards]
    raised = {}
    if not hazards:
        return raised
    ensure_seeded()

    windows = {
        "rain": WINDOWS_HOURS["rainstorm"],
        "wind_speed": WINDOWS_HOURS["wind"],
        "wind_gust": WINDOWS_HOURS["wind"],
        "temperature": WINDOWS_HOURS["high_temperature"],
    }
    codes = {code for hazard in hazards for code in VARIABLES[hazard]}
    with transaction.atomic():
        list(HazardType.objects.select_for_update().filter(code__in=hazards).order_by("code"))
        if batch_newest is None:
            clocks = {hazard: _data_clock(VARIABLES[hazard], now) for hazard in hazards}
        else:
            clocks = {
                hazard: max(min(batch_newest[hazard], now), now - CLOCK_LAG)
                for hazard in hazards
                if hazard in batch_newest
            }
            hazards = list(clocks)
        starts = {
            code: min(clocks[h] for h in hazards if code in VARIABLES[h])
            - datetime.timedelta(hours=windows[code] + 1)
            for code in codes
        }
        summed = incremental and "rainstorm" in hazards
        read = {code: start for code, start in starts.items() if not (summed and code == "rain")}
        stations, readings = signal_readings(read, None, now, districts=districts)
        district_list: list[AdminArea] = []
        district_index: dict[int, int] = {}
        for _station, district in stations:
            if district.pk not in district_index:
                district_index[district.pk] = len(district_list)
                district_list.append(district)
        area_of_station = np.array([district_index[d.pk] for _s, d in stations], dtype=np.int64)
        minimum = max(1, settings.CITYWATCH_SIGNAL_MIN_STATIONS)

        def part(code, clock):
            st, tm, vl = readings[code]
            keep = (tm > clock - windows[code] * 3600) & (tm <= clock)
            return Readings(st[keep], tm[keep], vl[keep])

        for hazard in hazards:
            clock = int(clocks[hazard].timestamp())
            options = {"now": clock, "max_age_minutes": settings.CITYWATCH_SIGNAL_MAX_AGE_MINUTES}
            heat_options = {**options, "max_age_minutes": max(options["max_age_minutes"], 24 * 60)}
            observed = None
            if hazard == "rainstorm" and summed:
                subsumed = {}
                sums = signal_accumulations(
                    stations,
                    "rain",
                    starts["rain"],
                    clocks[hazard],
                    now,
                    windows["rain"] * 3600,
                    [criterion.window_minutes for criterion in signals.NATIONAL.rainstorm],
                )
                # which windows' readings the proposals keep (the first MAX_TRIGGERS of each district):
                # asked once with stand-ins of the right length, then read in one query
                asked: set = set()
                position = {int(s): n for n, s in enumerate(sums.station.tolist())}

                def stand_in(station, window, asked=asked, position=position, sums=sums):
                    asked.add((station, window))
                    return [None] * int(sums.counts[window][position[station]])

                levels = signals.rainstorm_levels_from_sums(
                    sums.station, sums.time, sums.sums, stand_in, **options
                )
                signals.area_signals(levels, area_of_station, min_stations=minimum, max_triggers=MAX_TRIGGERS)
                fetched = sums.rows(asked)
                levels = signals.rainstorm_levels_from_sums(
                    sums.station, sums.time, sums.sums, lambda s, w, f=fetched: f[(s, w)], **options
                )
                results = signals.area_signals(
                    levels, area_of_station, min_stations=minimum, max_triggers=MAX_TRIGGERS
                )
                station_ids = sums.station
                newest_of = dict(zip(sums.station.tolist(), sums.time.tolist(), strict=True))
                observed = {r.area: max(newest_of[s] for s in r.stations) for r in results}
            elif hazard == "rainstorm":
                subsumed = {}
                data = part("rain", clock)
                results = signals.rainstorm_signals(data, area_of_station, min_stations=minimum, **options)
                station_ids = np.unique(data.station)
            elif hazard in ("gale", "typhoon"):
                mean, gust = part("wind_speed", clock), part("wind_gust", clock)
                typhoon = signals.typhoon_signals(
                    mean, gust, area_of_station, affected=typhoon_in_force(), min_stations=minimum, **options
                )
                if hazard == "gale":
                    # an area the typhoon signal holds has no gale proposal (its one lapses): the wind is
                    # the typhoon's (``signals.without_subsumed``)
                    results = signals.without_subsumed(
                        signals.gale_signals(mean, gust, area_of_station, min_stations=minimum, **options),
                        typhoon,
                    )
                    subsumed = {district_list[t.area].pk: "typhoon" for t in typhoon}
                else:
                    results, subsumed = typhoon, {}
                station_ids = np.union1d(mean.station, gust.station)
            else:
                subsumed = {}
                data = part("temperature", clock)
                results = signals.high_temperature_signals(
                    data, area_of_station, min_stations=minimum, **heat_options
                )
                station_ids = np.unique(data.station)
            areas = (
                [district_list[i] for i in np.unique(area_of_station[station_ids]).tolist()]
                if len(station_ids)
                else []
            )
            signals_found = _signals_of(hazard, results, stations, district_list, observed)
            if batch_newest is None:
                options = {"held_since": now - BATCH_HOLD}
            else:
                # each district's newest reading of the hazard's variables (up to now): newer than the
                # batch's clock, the batch only raises there
                newest = np.full(len(district_list), -1, dtype=np.int64)
                for code in VARIABLES[hazard]:
                    if summed and code == "rain":
                        for station, time in sums.newest.items():
                            newest[area_of_station[station]] = max(newest[area_of_station[station]], time)
                        continue
                    st, tm, _vl = readings[code]
                    np.maximum.at(newest, area_of_station[st], tm.astype(np.int64))
                behind = {district_list[i].pk for i in np.flatnonzero(newest > clock).tolist()}
                options = {"batch": True, "raise_only": behind}
            raised[hazard] = len(record_signals(hazard, signals_found, areas, subsumed=subsumed, **options))
    return raised


# How far the signals' clock may lag behind the wall clock (see ``_data_clock``).
CLOCK_LAG = datetime.timedelta(days=1)
# How long the worker's minute leaves a proposal alone after a batch recomputed it (``compute_proposals``).
BATCH_HOLD = datetime.timedelta(minutes=5)


def _data_clock(codes, now) -> datetime.datetime:
    """The moment a hazard's signals are computed for: the newest reading of its variables in the city
    (DOMAIN.md §3.1: windows end at the newest observation), never after ``now`` nor more than
    ``CLOCK_LAG`` before it: the worker's minute. A gauge silent while the others report is judged stale
    against the others (``CITYWATCH_SIGNAL_MAX_AGE_MINUTES``); a network silent for a day (and
    ``CITYWATCH_SIGNAL_MAX_AGE_MINUTES``) lets its proposals lapse. (A batch — a replayed storm, a feed's
    backlog — is judged as of its own newest reading: ``compute_proposals``'s ``batch_newest``.)"""
    from django.db.models import Max

    from citywatch.monitoring.choices import Quality
    from citywatch.monitoring.models import Observation

    readings = Observation.objects.filter(variable__code__in=codes).exclude(quality=Quality.SUSPECT)
    # bounded by the lag (an older reading gives the same answer): the query reads the last day, not every
    # partition of the history
    newest = readings.filter(time__gte=now - CLOCK_LAG, time__lte=now).aggregate(newest=Max("time"))["newest"]
    if newest is None:
        return now - CLOCK_LAG if readings.filter(time__lt=now - CLOCK_LAG).exists() else now
    return max(newest, now - CLOCK_LAG)


def after_batch(station_pks, variable_pks, times, now, *, incremental: bool = True) -> None:
    """monitoring's ``AFTER_BATCH`` hook (registered in ``apps.py``): a batch that wrote rain, wind or
    temperature readings recomputes, in its transaction, the proposals of the hazards those variables
    feed for the districts of its stations, as of the batch's newest reading of them (``times``: epoch
    seconds), so a proposal appears or rises with the readings that caused it (its ``warning.proposed``
    message in the same transaction). A failure is logged and leaves the batch stored (the worker's minute
    computes again)."""
    import numpy as np

    from citywatch.monitoring.models import Variable

    wanted = {code for codes in VARIABLES.values() for code in codes}
    code_of = dict(
        Variable.objects.filter(pk__in=set(variable_pks.tolist()), code__in=wanted).values_list("pk", "code")
    )
    newest_of_code = {
        code: int(np.max(times[variable_pks == pk])) for pk, code in code_of.items() if len(times)
    }
    batch_newest = {
        h: datetime.datetime.fromtimestamp(
            max(newest_of_code[c] for c in codes if c in newest_of_code), datetime.UTC
        )
        for h, codes in VARIABLES.items()
        if newest_of_code.keys() & set(codes)
    }
    hazards = list(batch_newest)
    if not hazards:
        return
    from citywatch.core.choices import AreaLevel
    from citywatch.monitoring.models import Station
    from citywatch.warnings.queries import district_of

    by_path = {d.path: d for d in AdminArea.objects.filter(level=AreaLevel.DISTRICT)}
    districts = set()
    for path in Station.objects.filter(pk__in=set(station_pks.tolist())).values_list("area__path", flat=True):
        district = district_of(path or "", by_path)
        if district is not None:
            districts.add(district.pk)
    if not districts:
        return
    try:
        with transaction.atomic():  # a savepoint: a failure here costs the proposals, never the readings
            compute_proposals(
                now, hazards=hazards, districts=districts, batch_newest=batch_newest, incremental=incremental
            )
    except Exception:  # noqa: BLE001 - logged; the worker's minute computes them again
        log.exception("event=proposals.failed hazards=%s districts=%s", ",".join(hazards), len(districts))
