"""``citywatch simulate typhoon [--exercise] [--auto]`` (a scenario of monitoring's ``simulate`` command):
the demo's chain from a typhoon's winds to a response and back, live on the duty screen, the response
page, MQTT and the webhook receiver.

1. Winds reach the typhoon yellow signal over the city: a **proposed typhoon warning** (the warnings app's
   ``record_signals``, or for a drill an exercise proposal announced the same way). Readings are not sent
   through monitoring's ingestion here: the typhoon signal of DOMAIN.md §3.1 needs a typhoon context (an
   official typhoon warning in force) that readings alone do not give; the proposal is the same.
2. A commander issues it on the warnings page (``--auto``: the simulator does, as the demo commander);
   the warning event proposes a **response** by the plan's rule (typhoon: the same level, Ⅲ).
3. The commander starts it (``--auto``: at the proposed level); the checklist appears with owners and
   deadlines; ``--auto`` marks some actions done.
4. ``--auto``: the winds reach orange: the warning is upgraded, which proposes the response's upgrade,
   accepted; then the warning is lifted, which proposes the end, accepted with a reason.

Without ``--auto`` the simulator waits (``--wait`` seconds per step) for a person to take each step on the
pages. After every step it runs one delivery round (``--no-deliver`` leaves delivery to the worker), so
``mosquitto_sub`` and the demo webhook receiver get the messages at once. ``--exercise`` runs the same as
a drill (CAP status Exercise, 演练 on every page, nothing public) and writes the scored drill report (PDF).
"""

from __future__ import annotations

import datetime
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
    started: datetime.datetime = field(default_factory=timezone.now)
    response_id: int | None = None
    report: Path | None = None

    # --- helpers ----------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        stamp = timezone.localtime().strftime("%H:%M:%S")
        self.out(f"[{stamp}] {'演练 ' if self.exercise else ''}{text}")

    def settle(self) -> None:
        if self.deliver:
            from citywatch.notify import worker

            result = worker.run_once("simulate")
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
                from citywatch.notify import worker

                worker.run_once("simulate")

    @property
    def commander(self):
        return User.objects.get(username="commander")

    @property
    def city(self):
        return AdminArea.objects.get(code=CITY)

    # --- steps --------------------------------------------------------------------------------------

    def propose_warning(self, level: str, value: float):
        from citywatch.warnings.actions import proposals as wp
        from citywatch.warnings.models import HazardType, Proposal

        now = timezone.now()
        signal = wp.Signal(
            area=self.city,
            level=level,
            value=value,
            unit="级",
            criterion="平均风力（模拟台风）",
            observed_at=now,
            triggers=[
                {
                    "station": "SIM-XM-01",
                    "station_name": "模拟站 厦门站",
                    "variable": "wind_speed",
                    "time": now.isoformat(),
                    "value": value,
                }
            ],
        )
        if not self.exercise:
            wp.record_signals(HAZARD, [signal], [self.city])
        else:
            with transaction.atomic():
                proposal = Proposal.objects.filter(
                    hazard__code=HAZARD, area=self.city, status="open", exercise=True
                ).first()
                if proposal is None:
                    proposal = Proposal(
                        hazard=HazardType.objects.get(code=HAZARD), area=self.city, history=[]
                    )
                proposal.level, proposal.value, proposal.unit = level, value, signal.unit
                proposal.criterion, proposal.triggers, proposal.observed_at = (
                    signal.criterion,
                    signal.triggers,
                    now,
                )
                proposal.exercise, proposal.status = True, "open"
                proposal.history = [*proposal.history, {"level": level, "at": now.isoformat()}]
                proposal.save()
                notify.publish(
                    "warning.proposed",
                    area=self.city,
                    subject=f"{self.city.name}台风{COLOUR_NAMES[level]}预警建议",
                    body=f"{signal.criterion}: {value:g} {signal.unit}",
                    payload={"proposal": proposal.pk, "hazard": HAZARD, "level": level, "area_code": CITY},
                    hazard=HAZARD,
                    level=level,
                    exercise=True,
                    public=False,
                    obj=proposal,
                )
        self.say(
            _("winds of force %(value)s: proposed typhoon warning, %(level)s")
            % {"value": f"{value:g}", "level": COLOUR_NAMES[level]}
        )
        self.settle()

    def warning_in_force(self):
        from citywatch.warnings.models import Warning

        return (
            Warning.objects.filter(
                hazard__code=HAZARD, exercise=self.exercise, status="issued", created_at__gte=self.started
            )
            .order_by("-id")
            .first()
        )

    def issue_warning(self):
        from citywatch.warnings import actions as wa
        from citywatch.warnings.models import Proposal

        if self.auto:
            proposal = Proposal.objects.filter(
                hazard__code=HAZARD, area=self.city, status="open", exercise=self.exercise
            ).latest("id")
            draft = wa.draft_from_proposal(self.commander, proposal)
            wa.issue(self.commander, draft)
        warning = self.until(
            _("a commander issues the proposed typhoon warning (warnings page)"), self.warning_in_force
        )
        self.say(_("warning issued: %(headline)s") % {"headline": warning.headline})
        self.settle()
        return warning

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

    def upgrade(self, warning):
        from citywatch.response import actions
        from citywatch.warnings import actions as wa
        from citywatch.warnings.models import Warning

        self.propose_warning("orange", 10)
        warning = Warning.objects.get(pk=warning.pk)
        data = wa.WarningInput(
            hazard=HAZARD,
            level="orange",
            area_codes=[CITY],
            onset=warning.onset,
            expires=warning.expires,
            exercise=self.exercise,
        )
        wa.update(self.commander, warning, data)
        self.say(_("warning upgraded to orange"))
        proposal = self.until(_("the upgrade proposal"), lambda: self.response_proposal("upgrade"))
        self.say(actions.proposal_text(proposal))
        actions.act_on(self.commander, proposal, reason=proposal.warning_subject)
        self.say(_("response upgraded to level Ⅱ"))
        self.settle()

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
        ended = self.until(
            _("a commander lifts the warning and ends the response"),
            lambda: Response.objects.filter(pk=self.response_id, status="ended").first(),
        )
        self.say(_("response ended: %(reason)s") % {"reason": ended.end_reason})
        self.settle()
        return ended

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
        with acting_as(self.commander if self.auto else None, ChangeSource.CLI):
            self.say(_("typhoon approaching Xiamen (simulated)"))
            self.propose_warning("yellow", 8)
            warning = self.issue_warning()
            response = self.start_response()
            if self.auto:
                self.upgrade(warning)
            response = self.end(warning)
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
    from django.core.management.base import CommandError

    try:
        run = run_typhoon(
            exercise=options["exercise"],
            auto=options["auto"],
            pause=max(0.0, options["pause"]),
            wait=max(1.0, options["wait"]),
            deliver=not options["no_deliver"],
            report_dir=options.get("report_dir"),
            out=command.stdout.write,
        )
    except Stopped as exc:
        raise CommandError(_("nobody did this in time: %(what)s") % {"what": exc}) from None
    if run.report:
        command.stdout.write(str(run.report))
