"""``citywatch user reset-link USERNAME``: print a one-time link with which the user sets a new password
(no e-mail server needed: hand the link over in person or over a channel you trust)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from citywatch.core import actions
from citywatch.core.changelog import acting_as
from citywatch.core.choices import ChangeSource
from citywatch.core.models import User


class Command(BaseCommand):
    help = "User accounts: reset-link USERNAME (prints a one-time link to set a new password)"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        link = sub.add_parser(
            "reset-link", help="print a one-time link with which the user sets a new password"
        )
        link.add_argument("username")

    def handle(self, *args, verb, **options):
        with acting_as(None, ChangeSource.CLI):
            getattr(self, "do_" + verb.replace("-", "_"))(**options)

    def do_reset_link(self, username, **_options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("no user named %(username)s") % {"username": repr(username)})
        try:
            path = actions.issue_reset_link(user)
        except actions.ActionError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(actions.absolute_url(path))
        hours = settings.PASSWORD_RESET_TIMEOUT // 3600
        self.stderr.write(
            _(
                "Give this link to %(username)s in person or over a channel you trust. It works once, "
                "within %(hours)s hours; any earlier link no longer works."
            )
            % {"username": username, "hours": hours}
        )
        if not settings.CITYWATCH_BASE_URL:
            self.stderr.write(
                _("Put the address users open CityWatch at in front of it (or set CITYWATCH_BASE_URL).")
            )
