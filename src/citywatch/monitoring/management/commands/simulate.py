"""``citywatch simulate rainstorm --district 同安区 [--speed N]``: a storm cell crosses the district and every
rain gauge of the city reports through the real ingestion path, so the duty officer watches gauges climb on
the station map and the 3-hour rainfall alarms open, escalate and clear (``demo/storm.py``)."""

from __future__ import annotations

import datetime
import json
import math
import time
import urllib.error
import urllib.request
from collections import defaultdict

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy

VIA_NAMES = {
    "mqtt": gettext_noop("the MQTT broker"),
    "http": gettext_noop("the HTTP API"),
    "direct": gettext_noop("the database directly"),
}
COUNT_NAMES = {
    "published": pgettext_lazy("reading counts", "published"),
    "accepted": pgettext_lazy("reading counts", "accepted"),
    "corrected": pgettext_lazy("reading counts", "corrected"),
    "duplicates": pgettext_lazy("reading counts", "duplicates"),
    "rejected": pgettext_lazy("reading counts", "rejected"),
}


def counts(outcome: dict, separator: str = "  ") -> str:
    """A step's or the run's counts by name in the site's language (接收 33000, 更正 1499 …)."""
    return separator.join(f"{COUNT_NAMES.get(k, k)} {v}" for k, v in outcome.items())


HELP = """Simulate a moving rainstorm over a district through the real ingestion path.

How the readings travel (--via auto, the default, picks the first that applies):
  mqtt    when CITYWATCH_MQTT_URL is set: published with QoS 1 to
          <CITYWATCH_MQTT_OBS_PREFIX>/<source>/<station>, for `citywatch ingest mqtt` (started by
          `citywatch demo` with the worker) to ingest;
  http    when a CityWatch server answers at --url (default http://127.0.0.1:8000, `citywatch demo`):
          POST /api/v1/observations with a data feed token of each source (made now, or --token);
  direct  otherwise: the ingestion function itself, in this process, against the configured database.
The simulated clock runs --speed times faster than real time and ends now (the readings are never in the
future): with the defaults a 15-hour span — 7 hours of light rain (the rainstorm signal proposed blue),
the cell (yellow, orange, red; the alarms open and escalate), then the sums falling until the alarms
clear — plays in 15 minutes."""

MAX_HOURS = 24 * 30  # a month of simulated time at most
DEFAULT_DISTRICT = "同安区"
# Each scenario's own options (dest → default): given to the other scenario they are refused, not ignored.
RAINSTORM_ONLY = {
    "district": DEFAULT_DISTRICT,
    "speed": 60.0,
    "hours": 15.0,
    "lead_hours": None,
    "peak": 110.0,
    "radius": 6.0,
    "step": 5,
}
TYPHOON_ONLY = {
    "exercise": False,
    "auto": False,
    "pause": 2.0,
    "wait": 900.0,
    "no_deliver": False,
    "report_dir": None,
}


def option_name(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def finite(value: float, dest: str, *, low: float, low_included: bool, high: float | None = None) -> None:
    """``CommandError`` unless ``value`` is a finite number above ``low`` (or at it, when included) and at
    most ``high``."""
    above = value >= low if low_included else value > low
    if not (math.isfinite(value) and above and (high is None or value <= high)):
        if high is not None and low_included:
            message = _("%(option)s must be a number from %(low)s to %(high)s, not %(value)s")
        elif high is not None:
            message = _(
                "%(option)s must be a number greater than %(low)s and at most %(high)s, not %(value)s"
            )
        elif low_included:
            message = _("%(option)s must be a number not less than %(low)s, not %(value)s")
        else:
            message = _("%(option)s must be a number greater than %(low)s, not %(value)s")
        values = {"option": option_name(dest), "low": f"{low:g}", "high": f"{high or 0:g}", "value": value}
        raise CommandError(message % values)


def check_url(url: str) -> None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        ok = False
    if not ok:
        message = _("--url must be an http:// or https:// address, not %(url)s")
        raise CommandError(message % {"url": repr(url)})


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        kwargs.setdefault("formatter_class", RawDescriptionHelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("scenario", choices=["rainstorm", "typhoon"], help="what to simulate")
        # typhoon: the response app's chain (citywatch.response.simulation).
        from citywatch.response.simulation import add_arguments as typhoon_arguments

        typhoon_arguments(parser)
        parser.add_argument(
            "--district", default=DEFAULT_DISTRICT, help="district name or code (default 同安区)"
        )
        parser.add_argument(
            "--speed", type=float, default=60.0, help="simulated seconds per real second (60)"
        )
        parser.add_argument("--hours", type=float, default=15.0, help="simulated span in hours (15)")
        parser.add_argument(
            "--lead-hours",
            type=float,
            default=None,
            help="hours of light rain before the cell (default: what --hours leaves beyond 8)",
        )
        parser.add_argument(
            "--peak", type=float, default=110.0, help="rain intensity at the cell's centre, mm/h (110)"
        )
        parser.add_argument("--radius", type=float, default=6.0, help="the cell's radius in km (6)")
        parser.add_argument("--step", type=int, default=5, help="minutes between readings (5)")
        parser.add_argument("--via", choices=["auto", "mqtt", "http", "direct"], default="auto")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the CityWatch server (http)")
        parser.add_argument("--token", default="", help="a data feed token to use (http; default: made now)")

    def handle(
        self,
        *args,
        scenario,
        district,
        speed,
        hours,
        lead_hours,
        peak,
        radius,
        step,
        via,
        url,
        token,
        **options,
    ):
        given = {
            "district": district, "speed": speed, "hours": hours, "lead_hours": lead_hours, "peak": peak,
            "radius": radius, "step": step, **options,
        }  # fmt: skip
        others = TYPHOON_ONLY if scenario == "rainstorm" else RAINSTORM_ONLY
        for dest, default in others.items():
            if given.get(dest, default) != default:
                raise CommandError(
                    _("%(option)s is not an option of the %(scenario)s scenario")
                    % {"option": option_name(dest), "scenario": scenario}
                )
        if via == "http":
            check_url(url)
        if scenario == "typhoon":
            from citywatch.response.simulation import handle as typhoon

            return typhoon(self, {**options, "via": via, "url": url, "token": token})
        from citywatch.demo.storm import for_district

        finite(speed, "speed", low=0, low_included=False)
        finite(hours, "hours", low=0, low_included=False, high=MAX_HOURS)
        finite(peak, "peak", low=0, low_included=True)
        finite(radius, "radius", low=0, low_included=False)
        if not 0 < step <= hours * 60:
            raise CommandError(
                _("--step must be between 1 and the simulated span in minutes (%(minutes)s), not %(step)s")
                % {"minutes": int(hours * 60), "step": step}
            )
        lead = max(0.0, hours - 8.0) if lead_hours is None else lead_hours
        if not (math.isfinite(lead) and 0 <= lead < hours):
            raise CommandError(_("--lead-hours must be at least 0 and less than --hours"))
        try:
            storm, area = for_district(
                district, span_hours=hours, peak=peak, radius_km=radius, step_minutes=step, lead_hours=lead
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        via = self.choose(via, url)
        send = {"mqtt": self.via_mqtt, "http": self.via_http(url, token), "direct": self.via_direct}[via]
        now = timezone.now()
        times = storm.clock(now, speed)
        start = times[0][0] - datetime.timedelta(minutes=step)
        self.replay_from(start, until=now + datetime.timedelta(seconds=times[-1][1] + 120))
        self.stdout.write(
            _(
                "rainstorm over %(area)s: %(gauges)s rain gauges, %(steps)s steps of %(step)s min, "
                "%(hours)s simulated hours at ×%(speed)s (about %(minutes)s min), via %(via)s"
            )
            % {
                "area": area.name,
                "gauges": len(storm.gauges),
                "steps": len(times),
                "step": step,
                "hours": f"{hours:g}",
                "speed": f"{speed:g}",
                "minutes": f"{times[-1][1] / 60:.1f}",
                "via": _(VIA_NAMES[via]),
            }
        )
        try:
            started = time.monotonic()
            totals = defaultdict(int)
            for i, (at, offset) in enumerate(times):
                pause = started + offset - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                readings = storm.readings(i, at)
                outcome = send(readings)
                for key, value in outcome.items():
                    totals[key] += value
                wet = max(readings, key=lambda r: r["value"])
                self.stdout.write(
                    _("%(time)s  max %(value)s mm at %(station)s")
                    % {
                        "time": f"{timezone.localtime(at):%H:%M}",
                        "value": f"{wet['value']:5.1f}",
                        "station": wet["station"],
                    }
                    + "  "
                    + counts(outcome)
                )
        finally:
            from citywatch.demo import live

            live.mark_storm(None)
        self.stdout.write(_("done: %(counts)s") % {"counts": counts(totals, ", ")})

    @staticmethod
    def replay_from(start, until) -> None:
        """The gauges reported over the storm's span already (the demo's live feed): rewind the rain rules'
        memory of them to ``start`` (the storm's readings correct those reports and are evaluated), and
        leave the rain gauges to the storm until ``until`` (``demo.live``)."""
        from django.db import transaction

        from citywatch.demo import live
        from citywatch.monitoring.actions import rules
        from citywatch.monitoring.models import Rule, Station

        with transaction.atomic():
            rain = Rule.objects.filter(variable__code="rain").exclude(kind="no_data")
            gauges = Station.objects.filter(kind="rain_gauge").values_list("pk", flat=True)
            rules.rewind(rain, gauges, start)
        live.mark_storm(until)

    # --- transports ---------------------------------------------------------------------------------

    def choose(self, via: str, url: str) -> str:
        if via != "auto":
            if via == "mqtt" and not settings.CITYWATCH_MQTT_URL:
                raise CommandError(_("--via mqtt needs CITYWATCH_MQTT_URL"))
            return via
        if settings.CITYWATCH_MQTT_URL:
            return "mqtt"
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status < 500:
                    return "http"
        except (urllib.error.URLError, OSError, ValueError):
            pass
        return "direct"

    @staticmethod
    def by_source(readings):
        groups = defaultdict(list)
        for r in readings:
            groups[r["source"]].append(r)
        return groups

    def via_mqtt(self, readings) -> dict:
        from citywatch.monitoring.mqtt import publish_readings

        for source, group in self.by_source(readings).items():
            publish_readings(settings.CITYWATCH_MQTT_URL, source, group)
        return {"published": len(readings)}

    def via_direct(self, readings) -> dict:
        from citywatch.monitoring.actions.ingest import ingest_records

        result = ingest_records(readings)
        return {
            "accepted": result.accepted,
            "corrected": result.corrected,  # a gauge's dry hourly report the storm's reading replaced
            "duplicates": result.duplicates,
            "rejected": len(result.rejected),
        }

    def via_http(self, url: str, token: str):
        tokens: dict[str, str] = {}

        def token_for(source: str) -> str:
            if token:
                return token
            if source not in tokens:
                from citywatch.core import actions
                from citywatch.monitoring.actions.ingest import feed_account

                _obj, tokens[source] = actions.create_api_token(
                    feed_account(source), name="simulate rainstorm"
                )
            return tokens[source]

        endpoint = url.rstrip("/") + "/api/v1/observations"

        def send(readings) -> dict:
            totals = defaultdict(int)
            for source, group in self.by_source(readings).items():
                body = json.dumps(group).encode()
                request = urllib.request.Request(  # noqa: S310
                    endpoint,
                    data=body,
                    method="POST",
                    headers={
                        "Content-Type": "application/json",
                        "Authorization": f"Bearer {token_for(source)}",
                    },
                )
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                        answer = json.loads(response.read())
                except urllib.error.HTTPError as exc:
                    raise CommandError(
                        _("%(url)s answered %(status)s: %(body)s")
                        % {"url": endpoint, "status": exc.code, "body": repr(exc.read()[:300])}
                    ) from None
                except (urllib.error.URLError, OSError, ValueError) as exc:
                    reason = getattr(exc, "reason", None) or exc
                    raise CommandError(
                        _("%(url)s did not answer: %(reason)s") % {"url": endpoint, "reason": reason}
                    ) from None
                totals["accepted"] += answer["accepted"]
                totals["corrected"] += answer.get("corrected", 0)
                totals["duplicates"] += answer["duplicates"]
                totals["rejected"] += len(answer["rejected"])
            return dict(totals)

        return send
