from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError

from citywatch.core import actions
from citywatch.core.changelog import acting_as
from citywatch.core.choices import ChangeSource
from citywatch.core.models import ApiToken, User

# Apps that give tokens a narrower scope register here (core imports no domain app): option name →
# function(value, username or None) → the user the token is made for (ValueError with a message when it
# cannot). The monitoring app registers "source": a data source's feed account.
SCOPES: dict[str, Callable] = {}


class Command(BaseCommand):
    help = (
        "API tokens: create USERNAME (prints the token once) or create --source CODE (a data feed's token "
        "that writes only that source's stations), list [USERNAME], revoke KEY_ID"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create a token and print it once")
        create.add_argument("username", nargs="?")
        create.add_argument("--name", default="", help="what the token is for")
        create.add_argument(
            "--source",
            help="a monitoring data source code: the token of its feed account (made if needed, named "
            "USERNAME or feed-CODE) writes only that source's stations",
        )
        lst = sub.add_parser("list", help="list tokens (never their secret)")
        lst.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="revoke a token by its key id")
        revoke.add_argument("key_id")

    def handle(self, *args, verb, **options):
        with acting_as(None, ChangeSource.CLI):
            getattr(self, f"do_{verb}")(**options)

    def do_create(self, username=None, name="", source=None, **_):
        if source:
            scope = SCOPES.get("source")
            if scope is None:
                raise CommandError("--source needs the monitoring app")
            try:
                user = scope(source, username)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            name = name or f"feed {source}"
        else:
            if not username:
                raise CommandError("give a USERNAME or --source CODE")
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"no user named {username!r}")
        try:
            _token, plain = actions.create_api_token(user, name=name)
        except actions.ActionError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(plain)
        self.stderr.write(
            "Store this token now: it is not shown again. Send it as 'Authorization: Bearer <token>'."
        )

    def do_list(self, username=None, **_):
        tokens = ApiToken.objects.select_related("user").order_by("created_at")
        if username:
            tokens = tokens.filter(user__username=username)
        for t in tokens:
            state = "revoked" if t.revoked_at else ("expired" if not t.is_usable() else "active")
            self.stdout.write(
                f"{t.key_id}\t{t.user.username}\t{t.name}\t{t.created_at:%Y-%m-%d %H:%M}\t{state}"
            )

    def do_revoke(self, key_id, **_):
        token = ApiToken.objects.filter(key_id=key_id).first()
        if token is None:
            raise CommandError(f"no token with key id {key_id!r}")
        actions.revoke_api_token(token)
        self.stdout.write(f"revoked {key_id}")
