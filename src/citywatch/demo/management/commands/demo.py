import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citywatch.core.choices import Role
from citywatch.demo.loader import DEMO_USERS, load_demo
from citywatch.demo.roads import summary as geo_summary
from citywatch.demo.subscriptions import outside_world
from citywatch.health import check_static
from citywatch.proxies import uvicorn_args

# Seconds the children have to stop after SIGTERM before they are killed.
STOP_TIMEOUT = 10


class Command(BaseCommand):
    help = "Load the synthetic demo city (idempotent) and serve web and worker on http://127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--load-only", action="store_true", help="load the demo city and exit")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--broker-port",
            type=int,
            default=1883,
            help="the demo's MQTT broker (started unless one listens)",
        )
        parser.add_argument(
            "--receiver-port", type=int, default=8765, help="the demo webhook receiver (at the first load)"
        )

    def handle(
        self,
        *args,
        load_only=False,
        host="127.0.0.1",
        port=8000,
        broker_port=1883,
        receiver_port=8765,
        **options,
    ):
        call_command("migrate", interactive=False, verbosity=0)
        if "CITYWATCH_NOTIFY_LOG_LEVEL" not in os.environ:  # not a line per subscription the load makes
            logging.getLogger("citywatch.notify").setLevel(logging.WARNING)
        result = load_demo(with_subscriptions=True, receiver_port=receiver_port)
        for line in summary_lines(result, host, port):
            self.stdout.write(line)
        if load_only:
            return
        self.stdout.write(
            _(
                "Notifications: mosquitto_sub -h 127.0.0.1 -p %(broker)s -t 'citywatch/#' -v "
                "(the webhook receiver on port %(receiver)s prints here)"
            )
            % {"broker": broker_port, "receiver": receiver_port}
        )
        self.serve(host, port, broker_port, receiver_port)

    def serve(self, host, port, broker_port=1883, receiver_port=8765):
        # Served as a user meets it: without DEBUG (no debug pages), from the collected static files —
        # collected again when they are not this code's (the check of /healthz).
        if not settings.DEBUG and not check_static()["ok"]:
            self.stdout.write(_("Collecting static files…"))
            call_command("collectstatic", interactive=False, verbosity=0)
        # The stations report from now on (demo.live): once before serving, then the worker every minute.
        from citywatch.demo import live

        fed = live.feed()
        if fed["accepted"]:
            self.stdout.write(
                _("Live feed: %(count)s quiet readings since the history's last hour")
                % {"count": fed["accepted"]}
            )
        env = children_env(os.environ)
        worker = [sys.executable, "-m", "citywatch.cli", "worker"]
        # A broker and the webhook receiver for the demo's subscriptions (demo.subscriptions).
        extra = outside_world(env, broker_port, receiver_port)
        if env.get("CITYWATCH_MQTT_URL"):
            # the readings' subscriber (`simulate rainstorm` publishes there when MQTT is configured)
            extra["ingest"] = [sys.executable, "-m", "citywatch.cli", "ingest", "mqtt"]
        failed = run_children({**extra, "worker": worker, "web": web_command(host, port)}, env)
        if failed:
            raise CommandError(failed)


# What the demo's load counts, in words (``demo.resources.load_resources``, ``demo.monitoring``).
RESOURCE_NAMES = {
    "land_teams": gettext_lazy("rescue teams"),
    "land_team_members": gettext_lazy("team members"),
    "forest_fire_teams": gettext_lazy("forest-fire teams"),
    "social_forces": gettext_lazy("social rescue forces"),
    "social_core_members": gettext_lazy("their core members"),
    "shelter_points": gettext_lazy("disaster shelter points"),
    "earthquake_shelters": gettext_lazy("earthquake shelters"),
    "experts_local": gettext_lazy("local experts"),
    "experts_shared": gettext_lazy("shared experts"),
    "expert_categories": gettext_lazy("expert categories"),
    "fire_checkpoints": gettext_lazy("forest-fire checkpoints"),
    "forest_rangers": gettext_lazy("forest rangers"),
    "eew_terminals": gettext_lazy("earthquake early-warning terminals"),
    "helipads": gettext_lazy("helipads"),
    "maritime_sar": gettext_lazy("maritime search-and-rescue bases"),
    "micro_fire_stations": gettext_lazy("micro fire stations"),
    "info_officers": gettext_lazy("disaster information officers"),
    "medical_facilities": gettext_lazy("medical facilities"),
    "depots": gettext_lazy("supply depots"),
    "supply_items": gettext_lazy("supply items"),
    "coverage_gaps": gettext_lazy("deliberate coverage gaps"),
    "created": gettext_lazy("created now"),
    "updated": gettext_lazy("updated now"),
    "stock_receipts": gettext_lazy("stock receipts"),
}
MONITORING_NAMES = {
    "sources": gettext_lazy("data sources"),
    "stations": gettext_lazy("stations"),
    "stations_created": gettext_lazy("stations created now"),
    "rain_gauges": gettext_lazy("rain gauges"),
    "rules_created": gettext_lazy("alarm rules created now"),
    "readings": gettext_lazy("readings of history"),
}


def _counts(counts: dict, names: dict) -> str:
    """ "rescue teams 508, …" in the site's language; a count no name is known for is left out."""
    return _("、").join(
        _("%(name)s %(count)s") % {"name": names[key], "count": value}
        for key, value in counts.items()
        if key in names
    )


def summary_lines(result, host: str, port: int) -> list[str]:
    """What the demo's load says on the terminal, in the site's language (Django i18n, the default
    LANGUAGE_CODE zh-hans): counts by their names, never their codes."""
    lines = []
    areas = result.areas_report
    if areas.created or areas.updated:  # on later starts the same notes are no news
        lines += [_("Note: %(note)s") % {"note": note} for note in areas.notes]
    lines.append(
        _("Administrative areas: created %(created)s, updated %(updated)s, unchanged %(unchanged)s")
        % {"created": areas.created, "updated": areas.updated, "unchanged": areas.unchanged}
    )
    if result.points_placed:
        lines.append(
            _("Placed %(count)s synthetic street and community points") % {"count": result.points_placed}
        )
    if result.resources:
        lines.append(
            _("Synthetic resources: %(counts)s") % {"counts": _counts(result.resources, RESOURCE_NAMES)}
        )
    if result.geo:
        lines.append(geo_summary(result.geo))
    if result.monitoring:
        lines.append(
            _("Synthetic monitoring: %(counts)s") % {"counts": _counts(result.monitoring, MONITORING_NAMES)}
        )
    lines += [
        "",
        _("CityWatch demo (synthetic data in Xiamen's real boundaries): %(url)s")
        % {"url": f"http://{host}:{port}/"},
        _("Logins: %(logins)s")
        % {
            "logins": _("、").join(
                _("%(username)s (%(role)s)") % {"username": username, "role": Role(role).label}
                for username, role, _code, _name in DEMO_USERS
            )
        },
    ]
    lines += other_leaders()
    if settings.CITYWATCH_DEMO_PASSWORD:
        lines.append(_("Password: the value of CITYWATCH_DEMO_PASSWORD"))
    elif result.password_generated:
        lines.append(
            _("Password: %(password)s (generated now; kept in the data directory)")
            % {"password": result.password}
        )
    else:
        lines.append(_("Password: %(password)s") % {"password": result.password})
    return lines


def other_leaders() -> list[str]:
    """How the other teams' leaders log in (the order of a dispatched team reaches its own leader's
    phone): leader- and the team's external id, with one example, the same password."""
    from citywatch.resources.models import RescueTeam

    team = (
        RescueTeam.objects.filter(leader__username__startswith="leader-", external_id__startswith="demo-")
        .select_related("leader")
        .order_by("external_id")
        .first()
    )
    if team is None:
        return []
    return [
        _(
            "Every other team's leader: leader- and the team's external id without demo- "
            "(%(username)s leads %(team)s), the same password"
        )
        % {"username": team.leader.username, "team": team.name}
    ]


def web_command(host: str, port: int) -> list[str]:
    """The web server: uvicorn believing forwarded headers only from CITYWATCH_TRUSTED_PROXIES."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "citywatch.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        *uvicorn_args(),
        # Django has no lifespan handler: uvicorn would say so, and that it waits for it, on every start.
        "--lifespan",
        "off",
        # Open live streams (Server-Sent Events) would hold a graceful shutdown until the kill.
        "--timeout-graceful-shutdown",
        str(STOP_TIMEOUT // 2),
    ]


def children_env(environ) -> dict:
    """The environment of the demo's web server and worker. The console shows what a user needs: not a line
    per request (a map asks for dozens of tiles), nor uvicorn's start and stop lines, nor the notification
    worker's count of each delivery round (the webhook receiver prints a line in words per burst);
    failures still show (WARNING)."""
    return {
        **environ,
        "CITYWATCH_DEBUG": environ.get("CITYWATCH_DEBUG", "false"),
        "CITYWATCH_ACCESS_LOG_LEVEL": environ.get("CITYWATCH_ACCESS_LOG_LEVEL", "WARNING"),
        # uvicorn's start and stop lines (in English; the demo says where it serves itself).
        "CITYWATCH_SERVER_LOG_LEVEL": environ.get("CITYWATCH_SERVER_LOG_LEVEL", "WARNING"),
        "CITYWATCH_NOTIFY_LOG_LEVEL": environ.get("CITYWATCH_NOTIFY_LOG_LEVEL", "WARNING"),
        "CITYWATCH_DEMO_LIVE_FEED": "true",
    }


def run_children(commands: dict[str, list[str]], env=None, timeout: float = STOP_TIMEOUT) -> str:
    """Run each command as a child until one of them ends or this process gets SIGINT, SIGTERM or SIGHUP; then
    stop them all (SIGTERM, and SIGKILL for any still running ``timeout`` seconds later). Returns "" or,
    when a child ended by itself with an error, what happened."""
    stop = threading.Event()
    previous = {}

    def on_signal(signum, frame):
        stop.set()

    # SIGHUP too: a closed terminal or a dropped ssh session stops the children, which no longer share
    # the terminal's session.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        previous[signum] = signal.signal(signum, on_signal)
    children = {}
    try:
        # Each child leads its own process group, so a terminal's Ctrl-C reaches only this process,
        # which stops the children, and whatever a child started is stopped with it.
        for name, command in commands.items():
            children[name] = subprocess.Popen(  # noqa: S603
                command, env=env, start_new_session=True, preexec_fn=_die_with_parent
            )
        while not stop.is_set() and all(child.poll() is None for child in children.values()):
            stop.wait(0.2)
    finally:
        stop_children(list(children.values()), timeout)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if not stop.is_set():
        for name, child in children.items():
            if child.returncode:
                return f"the {name} process exited with status {child.returncode}"
    return ""


def _die_with_parent() -> None:
    """In the child, before it runs: on Linux, ask for SIGTERM when the parent dies, so even a parent
    killed outright (SIGKILL) leaves no server holding the port."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


def stop_children(children: list[subprocess.Popen], timeout: float) -> None:
    """SIGTERM to each child's process group, then SIGKILL to those still running after ``timeout``."""
    for child in children:
        if child.poll() is None:
            _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(child, signal.SIGKILL)
            child.wait()
        else:
            # The child is gone; anything it left in its group goes too.
            _signal_group(child, signal.SIGKILL)
