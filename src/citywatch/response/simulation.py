"""``citywatch simulate typhoon [--exercise] [--auto]`` (a scenario of monitoring's ``simulate`` command):
the demo's chain from a typhoon's winds to a response and back, live on the duty screen, the response
page, MQTT and the webhook receiver.

0. The provincial observatory's typhoon **blue** warning for the city arrives as CAP (the warnings app's
   import, as a polled feed would bring it): the typhoon context the typhoon signal of DOMAIN.md §3.1
   needs (``warnings.actions.proposals.typhoon_in_force``). Being a typhoon warning, it proposes the
   plan's level Ⅳ (the plan's start condition 气象部门发布台风蓝色预警信号).
1. The typhoon approaches (``demo/typhoon.py``): the 10-minute mean wind, the gusts and the rain of every
   wind, weather and rain station go through monitoring's **ingestion** like ``simulate rainstorm``
   (``--via``: MQTT when ``CITYWATCH_MQTT_URL`` is set, else HTTP to the running server, else the
   ingestion function here). The rules open their gust and rainfall **alarms**; the warnings app computes
   the typhoon signal from the stored readings (the worker's minute, or here when ingesting in-process)
   and **proposes typhoon warnings** for the districts whose stations reach blue, then yellow.
2. A commander issues one warning for the districts proposed (warnings page; ``--auto``: the simulator
   does, as the demo commander); the warning event **proposes the response** by the plan's rule
   (typhoon: the same level, Ⅲ), superseding the Ⅳ proposal.
3. The commander starts it (``--auto``: at the proposed level); the checklist appears with owners and
   deadlines; ``--auto`` marks some actions done.
4. The typhoon moves away (the winds fall); the commander lifts the warning, which proposes the end,
   and ends the response with a reason (``--auto`` does both); the observatory lifts its warning.

Without ``--auto`` the simulator waits (``--wait`` seconds per step) for a person to take each step on the
pages. After every step it runs one delivery round (``--no-deliver`` leaves delivery to the worker), so
``mosquitto_sub`` and the demo webhook receiver get the messages at once.

``--exercise`` runs the same as a drill: CAP status Exercise for both warnings, 演练 on every page, nothing
public, and the scored drill report (PDF). A drill's readings are **not** ingested — a drill must raise no
real alarm and no real proposal on the stations the city watches — they are evaluated by the same signal
rules (``warnings.signals.typhoon_signals``) in this process and proposed as exercise proposals.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch import notify
from citywatch.core.changelog import acting_as
from citywatch.core.choices import ChangeSource
from citywatch.core.models import AdminArea, User
from citywatch.warnings.choices import COLOUR_NAMES

CITY = "350200"
HAZARD = "typhoon"
OBSERVATORY = "fjqxt@fj.cma.gov.cn"  # the (simulated) provincial observatory's CAP sender
OBSERVATORY_NAME = "福建省气象台（模拟）"
STORM_KINDS = ("wind", "weather", "rain_gauge")  # the stations the typhoon's readings come from


def ingest_here(readings: list[dict]) -> dict:
    """The ingestion function itself, in this process (``--via direct``)."""
    from citywatch.monitoring.actions.ingest import ingest_records

    result = ingest_records(readings)
    return {"accepted": result.accepted, "duplicates": result.duplicates, "rejected": len(result.rejected)}


class Stopped(Exception):
    """A person did not take a step within the wait."""


@dataclass
class Run:
    exercise: bool = False
    auto: bool = False
    pause: float = 2.0
    wait: float = 600.0
    deliver: bool = True
    out: Callable[[str], None] = print
    report_dir: Path | None = None
    send: Callable[[list[dict]], dict] = ingest_here  # how readings travel (the command's --via)
    via: str = "direct"
    started: datetime.datetime = field(default_factory=timezone.now)
    response_id: int | None = None
    report: Path | None = None
    official_id: int | None = None
    last_reading_at: datetime.datetime | None = None

    # --- helpers ----------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        stamp = timezone.localtime().strftime("%H:%M:%S")
        self.out(f"[{stamp}] {'演练 ' if self.exercise else ''}{text}")

    def deliver_round(self):
        """One delivery round; its per-delivery log lines stay out of the simulator's story (warnings and
        errors still show)."""
        from citywatch.notify import worker

        notify_log = logging.getLogger("citywatch.notify")
        level = notify_log.level
        notify_log.setLevel(max(level, logging.WARNING))
        try:
            return worker.run_once("simulate")
        finally:
            notify_log.setLevel(level)

    def settle(self) -> None:
        if self.deliver:
            result = self.deliver_round()
            if result.sent or result.failed:
                self.say(
                    _("notifications: %(sent)s sent, %(failed)s failed (will retry)")
                    % {"sent": result.sent, "failed": result.failed}
                )
        if self.pause:
            time.sleep(self.pause)

    def until(self, what: str, found: Callable[[], object]):
        """Wait for a person to do ``what`` (polling the database), at most ``self.wait`` seconds."""
        deadline = time.monotonic() + self.wait
        announced = False
        while True:
            value = found()
            if value:
                return value
            if not announced:
                self.say(_("waiting for: %(what)s") % {"what": what})
                announced = True
            if time.monotonic() > deadline:
                raise Stopped(what)
            time.sleep(1.0)
            if self.deliver:
                self.deliver_round()

    @property
    def commander(self):
        return User.objects.get(username="commander")

    @property
    def city(self):
        return AdminArea.objects.get(code=CITY)

    # --- steps --------------------------------------------------------------------------------------

    def official_warning(self, msg_type: str = "Alert") -> None:
        """The observatory's typhoon blue warning for the city (``Alert``) or its end (``Cancel``),
        imported as CAP like a polled feed's (status Exercise in a drill)."""
        from citywatch.warnings import cap
        from citywatch.warnings.actions import import_alert
        from citywatch.warnings.models import Warning

        sent = timezone.localtime().replace(microsecond=0)
        references = ()
        if msg_type == "Cancel":
            if self.official_id is None:
                return
            first = Warning.objects.get(pk=self.official_id).versions.order_by("number").first()
            held = cap.read_alert(first.cap.encode())
            references = (cap.Reference(held.sender, held.identifier, held.sent),)
            sent = max(sent, held.sent + datetime.timedelta(seconds=1))
        area = cap.Area(area_desc=self.city.name, geocodes=(cap.division_geocode(CITY),))
        info = cap.signal_info(
            language="zh-CN",
            level="blue",
            observed=False,
            event="台风",
            areas=(area,),
            sender_name=OBSERVATORY_NAME,
            headline=f"{OBSERVATORY_NAME}发布台风蓝色预警信号"
            if msg_type == "Alert"
            else "台风蓝色预警信号解除",
            description="今年第14号台风（模拟）正向福建南部沿海靠近，预计24小时内将影响厦门市。",
            onset=sent,
            expires=sent + datetime.timedelta(hours=24),
        )
        data = cap.write_alert(
            cap.Alert(
                identifier=f"FJQXT-SIM-{sent:%Y%m%d%H%M%S}-{msg_type}",
                sender=OBSERVATORY,
                sent=sent,
                status=cap.Status.EXERCISE if self.exercise else cap.Status.ACTUAL,
                msg_type=cap.MsgType(msg_type),
                scope=cap.Scope.PUBLIC,
                references=references,
                infos=(info,),
            )
        )
        result = import_alert(None, data)
        self.official_id = result.warning.pk
        if msg_type == "Alert":
            self.say(
                _("the observatory's typhoon blue warning for %(area)s arrived (CAP): the typhoon context")
                % {"area": self.city.name}
            )
        else:
            self.say(_("the observatory lifted its typhoon warning (CAP)"))
        self.settle()

    def approach(self):
        """The typhoon's approach: its readings through ingestion (a drill: evaluated here), then the
        proposed typhoon warnings."""
        from citywatch.demo.typhoon import for_city
        from citywatch.warnings.signals import wind_scale

        storm = for_city()
        self.storm = storm
        times = storm.clock(timezone.now())
        if not self.exercise:
            self.replay_from(times[0] - datetime.timedelta(minutes=storm.step_minutes))
        self.say(
            _(
                "the typhoon approaches: %(stations)s stations report wind and rain, %(steps)s readings each "
                "from %(start)s to %(end)s, via %(via)s"
            )
            % {
                "stations": len(storm.sites),
                "steps": len(times),
                "start": timezone.localtime(times[0]).strftime("%H:%M"),
                "end": timezone.localtime(times[-1]).strftime("%H:%M"),
                "via": _("a drill: evaluated here, not ingested") if self.exercise else self.via,
            }
        )
        kept: list[dict] = []
        for i, at in enumerate(times):
            fraction = (i + 1) / storm.steps
            readings = storm.readings(fraction, at)
            outcome = {"readings": len(readings)}
            if self.exercise:
                kept += readings
            else:
                outcome = self.send(readings)
                if self.via == "mqtt":
                    self.ingested(readings[-1])
                if self.via == "direct" and (i % 6 == 5 or i == len(times) - 1):
                    self.compute()
            self.last_reading_at = at
            if i % 6 == 5 or i == len(times) - 1:
                mean, gust = storm.winds(fraction)
                self.say(
                    _(
                        "%(time)s strongest mean wind %(mean)s m/s (force %(mf)s), "
                        "gust %(gust)s m/s (force %(gf)s)"
                    )
                    % {
                        "time": timezone.localtime(at).strftime("%H:%M"),
                        "mean": f"{mean.max():.1f}",
                        "mf": int(wind_scale(mean.max())),
                        "gust": f"{gust.max():.1f}",
                        "gf": int(wind_scale(gust.max())),
                    }
                    + "  "
                    + "  ".join(f"{k} {v}" for k, v in outcome.items())
                )
                if self.deliver:
                    self.deliver_round()
        if self.exercise:
            self.propose_drill(kept)
        proposals = self.until(
            _("the warnings app's typhoon proposals (computed from the stored readings)"),
            lambda: list(self.warning_proposals(level="yellow")),
        )
        for proposal in proposals:
            self.say(
                _("proposed typhoon warning, %(level)s: %(area)s (%(value)s %(unit)s)")
                % {
                    "level": COLOUR_NAMES[proposal.level],
                    "area": proposal.area.name,
                    "value": f"{proposal.value:g}",
                    "unit": proposal.unit,
                }
            )
        self.settle()
        return proposals

    def ingested(self, reading: dict, timeout: float = 60.0) -> None:
        """Over MQTT, wait until the subscriber (``citywatch ingest mqtt``) has stored a step's last reading
        before publishing the next: the broker queues a bounded number of messages for a slow subscriber
        (Mosquitto: 1000) and drops the rest."""
        from citywatch.monitoring.models import Observation

        at = datetime.datetime.fromisoformat(reading["time"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            stored = Observation.objects.filter(
                station__source__code=reading["source"],
                station__external_id=reading["station"],
                variable__code=reading["variable"],
                time=at,
            ).values_list("value", flat=True)
            if any(abs(v - reading["value"]) < 1e-6 for v in stored):
                return
            time.sleep(0.5)
        self.say(_("the readings' subscriber is slow: continuing without it"))

    def replay_from(self, start) -> None:
        """The stations reported over the approach's span already (the demo's history and live feed): the
        wind and rain rules' memory of them goes back to ``start`` (the typhoon's readings correct those
        reports and are evaluated), and the live feed leaves them to the typhoon until the run ends."""
        from citywatch.demo import live
        from citywatch.monitoring.actions import rules
        from citywatch.monitoring.models import Rule, Station

        sites = {(s.source, s.external_id) for s in self.storm.sites}
        stations = [
            pk
            for pk, source, external_id in Station.objects.filter(
                kind__in=STORM_KINDS, status="active"
            ).values_list("pk", "source__code", "external_id")
            if (source, external_id) in sites
        ]
        with transaction.atomic():
            watched = Rule.objects.filter(variable__code__in=("wind_speed", "wind_gust", "rain")).exclude(
                kind="no_data"
            )
            rules.rewind(watched, stations, start)
        live.mark_storm(timezone.now() + datetime.timedelta(seconds=self.wait * 4 + 600), STORM_KINDS)

    def compute(self) -> None:
        """The warnings app's computation over the stored readings (the worker's minute; here for
        ``--via direct``, where no worker follows this process's readings)."""
        from citywatch.warnings.actions import compute_proposals

        compute_proposals()

    def warning_proposals(self, level: str | None = None):
        from citywatch.warnings.choices import level_rank
        from citywatch.warnings.models import Proposal

        rows = (
            Proposal.objects.filter(hazard__code=HAZARD, status="open", exercise=self.exercise)
            .select_related("area")
            .order_by("area__code")
        )
        return [p for p in rows if level is None or level_rank(p.level) >= level_rank(level)]

    def propose_drill(self, readings: list[dict]) -> None:
        """A drill's readings through the warnings app's typhoon signal (in this process, not stored),
        proposed as exercise proposals and announced like the real ones."""
        import numpy as np

        from citywatch.monitoring.evaluation import Readings
        from citywatch.warnings import signals
        from citywatch.warnings.actions.proposals import _signals_of
        from citywatch.warnings.queries import signal_readings

        stations, _none = signal_readings({}, None)
        index = {(s.source, s.external_id): i for i, (s, _d) in enumerate(stations)}
        districts: list[AdminArea] = []
        district_index: dict[int, int] = {}
        for _s, district in stations:
            district_index.setdefault(district.pk, len(districts))
            if len(districts) < len(district_index):
                districts.append(district)
        area_of_station = np.array([district_index[d.pk] for _s, d in stations], dtype=np.int64)
        columns: dict[str, tuple[list, list, list]] = {"wind_speed": ([], [], []), "wind_gust": ([], [], [])}
        for r in readings:
            where = index.get((r["source"], r["station"]))
            if where is not None and r["variable"] in columns:
                st, tm, vl = columns[r["variable"]]
                st.append(where)
                tm.append(int(datetime.datetime.fromisoformat(r["time"]).timestamp()))
                vl.append(r["value"])
        mean, gust = (
            Readings(
                np.array(c[0], dtype=np.int64), np.array(c[1], dtype=np.int64), np.array(c[2], dtype=float)
            )
            for c in (columns["wind_speed"], columns["wind_gust"])
        )
        results = signals.typhoon_signals(
            mean,
            gust,
            area_of_station,
            affected=True,
            min_stations=max(1, settings.CITYWATCH_SIGNAL_MIN_STATIONS),
            now=int(timezone.now().timestamp()),
            max_age_minutes=settings.CITYWATCH_SIGNAL_MAX_AGE_MINUTES,
        )
        for signal in _signals_of(HAZARD, results, stations, districts):
            self.record_drill_proposal(signal)

    def record_drill_proposal(self, signal) -> None:
        from citywatch.warnings.choices import level_rank
        from citywatch.warnings.models import HazardType, Proposal

        if Proposal.objects.filter(
            hazard__code=HAZARD, area=signal.area, status="open", exercise=False
        ).exists():
            # One open proposal per hazard and area, drills included (the warnings app's rule).
            self.say(
                _("%(area)s: a real typhoon proposal is open there; the drill leaves the district out")
                % {"area": signal.area.name}
            )
            return
        with transaction.atomic():
            proposal = Proposal.objects.filter(
                hazard__code=HAZARD, area=signal.area, status="open", exercise=True
            ).first()
            if proposal is None:
                proposal = Proposal(hazard=HazardType.objects.get(code=HAZARD), area=signal.area, history=[])
            risen = level_rank(signal.level) > level_rank(proposal.level or "")
            proposal.level, proposal.value, proposal.unit = signal.level, signal.value, signal.unit
            proposal.criterion, proposal.triggers = signal.criterion[:120], signal.triggers[:200]
            proposal.observed_at = signal.observed_at
            proposal.exercise, proposal.status = True, "open"
            if risen:
                proposal.history = [
                    *proposal.history,
                    {"level": signal.level, "at": timezone.now().isoformat()},
                ]
            proposal.save()
            if risen:
                notify.publish(
                    "warning.proposed",
                    area=signal.area,
                    subject=f"{signal.area.name}台风{COLOUR_NAMES[signal.level]}预警建议",
                    body=f"{signal.criterion}: {signal.value:g} {signal.unit}",
                    payload={
                        "proposal": proposal.pk,
                        "hazard": HAZARD,
                        "level": signal.level,
                        "area_code": signal.area.code,
                    },
                    hazard=HAZARD,
                    level=signal.level,
                    exercise=True,
                    public=False,
                    obj=proposal,
                )

    def depart(self) -> None:
        """The typhoon moves away: one more reading of every station, the winds fallen (not in a drill)."""
        if self.exercise or self.last_reading_at is None:
            return
        now = timezone.now().replace(microsecond=0)
        if now <= self.last_reading_at:
            return
        readings = self.storm.readings(0.2, now)
        outcome = self.send(readings)
        self.last_reading_at = now
        self.say(
            _("the typhoon moves away: the winds fall")
            + "  "
            + "  ".join(f"{k} {v}" for k, v in outcome.items())
        )
        self.settle()

    def warning_in_force(self):
        from citywatch.warnings.models import Warning

        return (
            Warning.objects.filter(
                hazard__code=HAZARD,
                exercise=self.exercise,
                status="issued",
                source="citywatch",
                created_at__gte=self.started,
            )
            .order_by("-id")
            .first()
        )

    def issue_warning(self, proposals):
        """``--auto``: the commander drafts from the strongest proposal, for every district proposed (one
        warning: the city's when several), and issues it."""
        from citywatch.warnings import actions as wa
        from citywatch.warnings.choices import level_rank

        if self.auto:
            strongest = max(proposals, key=lambda p: (level_rank(p.level), -p.pk))
            draft = wa.draft_from_proposal(self.commander, strongest)
            codes = sorted({p.area.code for p in proposals if p.level == strongest.level})
            if len(codes) > 1:
                data = wa.WarningInput(
                    hazard=HAZARD,
                    level=strongest.level,
                    area_codes=codes,
                    onset=draft.onset,
                    expires=draft.expires,
                    description=draft.description,
                    exercise=self.exercise,
                )
                draft = wa.edit_draft(self.commander, draft, data)
            wa.issue(self.commander, draft)
        warning = self.until(
            _("a commander issues the proposed typhoon warning (warnings page)"), self.warning_in_force
        )
        self.say(_("warning issued: %(headline)s") % {"headline": warning.headline})
        if self.exercise:
            self.covered(warning)
        self.settle()
        return warning

    def covered(self, warning) -> None:
        """A drill's proposals the issued warning covers count as issued (for real ones the warnings
        app's next computation does it: ``record_signals`` leaves a drill's alone)."""
        from citywatch.warnings.choices import level_rank
        from citywatch.warnings.models import Proposal

        areas = set(warning.areas.values_list("pk", flat=True))
        for proposal in Proposal.objects.filter(
            hazard__code=HAZARD, status="open", exercise=True, area__in=areas
        ):
            if level_rank(proposal.level) <= level_rank(warning.level):
                proposal.issued_level, proposal.status = warning.level, "issued"
                proposal.save()

    def response_proposal(self, kind: str):
        from citywatch.response.models import Proposal

        return (
            Proposal.objects.filter(
                hazard=HAZARD, exercise=self.exercise, kind=kind, created_at__gte=self.started
            )
            .order_by("-id")
            .first()
        )

    def running(self):
        from citywatch.response.models import Response

        return Response.objects.filter(
            hazard=HAZARD, exercise=self.exercise, status="active", started_at__gte=self.started
        ).first()

    def start_response(self):
        from citywatch.response import actions

        proposal = self.until(_("the response proposal"), lambda: self.response_proposal("start"))
        self.say(actions.proposal_text(proposal))
        if self.auto:
            actions.act_on(self.commander, proposal, reason=proposal.warning_subject)
        response = self.until(
            _("a commander starts the response (responses page or duty screen)"), self.running
        )
        self.response_id = response.pk
        items = list(response.actions.order_by("deadline", "id"))
        self.say(
            _("response started: %(response)s — %(count)s actions on the checklist")
            % {"response": response, "count": len(items)}
        )
        for item in items:
            deadline = timezone.localtime(item.deadline).strftime("%H:%M")
            self.out(
                "    · "
                + _("%(action)s — %(organisation)s, by %(deadline)s")
                % {"action": item.title, "organisation": item.organisation_name, "deadline": deadline}
            )
        self.settle()
        if self.auto:
            for item in items[: max(1, len(items) // 2)]:
                actions.mark_done(self.commander, item, "模拟：已完成")
            self.say(_("%(count)s actions marked done") % {"count": max(1, len(items) // 2)})
            self.settle()
        return response

    def end(self, warning):
        from citywatch.response import actions
        from citywatch.response.models import Response
        from citywatch.warnings import actions as wa
        from citywatch.warnings.models import Warning

        if self.auto:
            wa.lift(self.commander, Warning.objects.get(pk=warning.pk))
            self.say(_("warning lifted"))
            self.settle()
            proposal = self.until(_("the end proposal"), lambda: self.response_proposal("end"))
            actions.act_on(self.commander, proposal, reason="台风已过境，预警解除")
            self.dismiss_leftovers()
        ended = self.until(
            _("a commander lifts the warning and ends the response"),
            lambda: Response.objects.filter(pk=self.response_id, status="ended").first(),
        )
        self.say(_("response ended: %(reason)s") % {"reason": ended.end_reason})
        self.settle()
        return ended

    def dismiss_leftovers(self) -> None:
        """``--auto``: the proposals still open for the storm's winds (districts left out of the warning, the
        gale's) are dismissed, as the commander would once the typhoon has passed."""
        from citywatch.warnings.actions import dismiss_proposal
        from citywatch.warnings.models import Proposal

        left = Proposal.objects.filter(
            hazard__code__in=(HAZARD, "gale"),
            status="open",
            exercise=self.exercise,
            updated_at__gte=self.started,
        )
        for proposal in left:
            dismiss_proposal(self.commander, proposal, "台风已过境")
        if left:
            self.say(_("%(count)s proposals left open for the storm dismissed") % {"count": len(left)})

    def write_report(self, response) -> Path:
        from citywatch.response import documents

        directory = self.report_dir or Path(settings.DATA_DIR) / "reports"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / documents.filename(response)
        path.write_bytes(documents.render_pdf(response))
        scored = documents.score(response)
        self.say(
            _("drill report: %(path)s — score %(score)s%% (%(on_time)s of %(counted)s on time)")
            % {"path": path, "score": scored.score, "on_time": scored.on_time, "counted": scored.counted}
        )
        return path

    def run(self):
        from citywatch.demo import live

        with acting_as(self.commander if self.auto else None, ChangeSource.CLI):
            self.say(_("a typhoon approaches Xiamen (simulated)"))
            self.official_warning("Alert")
            try:
                proposals = self.approach()
                warning = self.issue_warning(proposals)
                response = self.start_response()
                self.depart()
            finally:
                if not self.exercise:
                    live.mark_storm(None)  # the live feed takes the stations back
            response = self.end(warning)
            self.official_warning("Cancel")
            if self.exercise:
                self.report = self.write_report(response)
        return self


def run_typhoon(**options) -> Run:
    return Run(**options).run()


def add_arguments(parser) -> None:
    """The typhoon scenario's options of ``citywatch simulate`` (the command is monitoring's)."""
    group = parser.add_argument_group("typhoon")
    group.add_argument(
        "--exercise", action="store_true", help="typhoon: run it as a drill (演练), nothing public"
    )
    group.add_argument(
        "--auto",
        action="store_true",
        help="typhoon: also take the commander's steps (issue, start, upgrade, end)",
    )
    group.add_argument("--pause", type=float, default=2.0, help="typhoon: seconds between steps (2)")
    group.add_argument(
        "--wait", type=float, default=900.0, help="typhoon: seconds to wait for a person's step"
    )
    group.add_argument("--no-deliver", action="store_true", help="typhoon: leave delivery to the worker")
    group.add_argument("--report-dir", type=Path, help="typhoon: where the drill report goes")


def handle(command, options: dict) -> None:
    """``citywatch simulate typhoon …``: run the chain, printing each step on the command's stdout."""
    import os

    from django.core.management.base import CommandError

    from citywatch.monitoring.management.commands.simulate import finite

    finite(options["pause"], "pause", low=0, low_included=True, high=3600)
    finite(options["wait"], "wait", low=0, low_included=False, high=7 * 24 * 3600)
    report_dir = options.get("report_dir")
    if report_dir is not None:
        if not options["exercise"]:
            raise CommandError(_("--report-dir is for a drill's report: give --exercise too"))
        # the nearest existing directory of it must be writable (the report is written at the end)
        existing = next((p for p in (report_dir, *report_dir.parents) if p.exists()), None)
        writable = existing is not None and existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)
        if not writable:
            message = _("--report-dir must be a directory that can be written to, not %(path)s")
            raise CommandError(message % {"path": report_dir})
    via = command.choose(options.get("via", "direct"), options.get("url", ""))
    if via == "http":
        send = command.via_http(options["url"], options.get("token", ""))
    else:
        send = command.via_mqtt if via == "mqtt" else ingest_here
    try:
        run = run_typhoon(
            exercise=options["exercise"],
            auto=options["auto"],
            pause=max(0.0, options["pause"]),
            wait=max(1.0, options["wait"]),
            deliver=not options["no_deliver"],
            report_dir=options.get("report_dir"),
            out=command.stdout.write,
            send=send,
            via=via,
        )
    except Stopped as exc:
        raise CommandError(_("nobody did this in time: %(what)s") % {"what": exc}) from None
    if run.report:
        command.stdout.write(str(run.report))
