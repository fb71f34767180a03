"""``citywatch simulate <scenario>``: drive the demo live. ``typhoon`` (this app): winds → proposed
warning → issued → proposed response → started → checklist → notifications → lifted → ended; see
``citywatch.response.simulation``. Other apps add their scenarios to ``SCENARIOS``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from citywatch.response import simulation

SCENARIOS = {"typhoon": simulation.run_typhoon}


class Command(BaseCommand):
    help = "Simulate a scenario live: citywatch simulate typhoon [--exercise] [--auto]"

    def add_arguments(self, parser):
        parser.add_argument("scenario", choices=sorted(SCENARIOS))
        parser.add_argument(
            "--exercise", action="store_true", help="run it as a drill (演练): nothing public"
        )
        parser.add_argument(
            "--auto", action="store_true", help="also take the commander's steps (issue, start, upgrade, end)"
        )
        parser.add_argument("--pause", type=float, default=2.0, help="seconds between steps (default 2)")
        parser.add_argument("--wait", type=float, default=900.0, help="seconds to wait for a person's step")
        parser.add_argument("--no-deliver", action="store_true", help="leave delivery to the worker")
        parser.add_argument("--report-dir", type=Path, help="where the drill report goes")

    def handle(self, *args, scenario, **options):
        try:
            run = SCENARIOS[scenario](
                exercise=options["exercise"],
                auto=options["auto"],
                pause=max(0.0, options["pause"]),
                wait=max(1.0, options["wait"]),
                deliver=not options["no_deliver"],
                report_dir=options.get("report_dir"),
                out=self.stdout.write,
            )
        except simulation.Stopped as exc:
            raise CommandError(f"nobody did this in time: {exc}") from None
        if run.report:
            self.stdout.write(str(run.report))
