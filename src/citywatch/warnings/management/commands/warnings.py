"""``citywatch warnings propose|expire|poll|import FILE…``: the worker's steps by hand, and CAP imports.

* ``propose`` — compute the proposals from the newest readings now (the worker does it every minute);
* ``expire`` — warnings past their expiry become expired (the worker does it every minute);
* ``poll`` — poll the configured CAP feeds once (conditional GET; each entry fetched once);
* ``import FILE…`` — import CAP documents as official warnings (refusals name the failed rules).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from citywatch.core.changelog import acting_as
from citywatch.core.choices import ChangeSource
from citywatch.core.errors import ActionError


class Command(BaseCommand):
    help = "Warnings: compute proposals, expire, poll CAP feeds, import CAP files."

    def add_arguments(self, parser):
        parser.add_argument("step", choices=("propose", "expire", "poll", "import"))
        parser.add_argument("files", nargs="*", help="CAP files (import)")

    def handle(self, *args, step, files, **options):
        from citywatch.warnings import actions
        from citywatch.warnings.actions.feeds import poll_feeds

        with acting_as(None, ChangeSource.CLI):
            if step == "propose":
                raised = actions.compute_proposals()
                self.stdout.write(", ".join(f"{k}: {v} new or risen" for k, v in raised.items()))
            elif step == "expire":
                self.stdout.write(f"{actions.expire_due()} warnings expired")
            elif step == "poll":
                self.stdout.write(", ".join(f"{k}: {v}" for k, v in poll_feeds().items()))
            else:
                if not files:
                    raise CommandError("name one or more CAP files")
                failed = 0
                for name in files:
                    path = Path(name)
                    if path.stat().st_size > settings.CITYWATCH_CAP_MAX_BYTES:
                        self.stderr.write(f"{name}: larger than {settings.CITYWATCH_CAP_MAX_BYTES} bytes")
                        failed += 1
                        continue
                    try:
                        result = actions.import_alert(None, path.read_bytes())
                    except ActionError as exc:
                        failed += 1
                        self.stderr.write(f"{name}: {exc}")
                        for problem in exc.details or []:
                            rule, where = problem.get("rule"), problem.get("path", "")
                            self.stderr.write(f"  [{rule}] {where} {problem.get('message')}")
                        continue
                    verb = "imported" if result.created else "already held"
                    self.stdout.write(
                        f"{name}: {verb} as warning {result.warning.pk} ({result.version.msg_type})"
                    )
                if failed:
                    raise CommandError(f"{failed} of {len(files)} files refused")
