"""Pull adapters: a department's JSON or CSV endpoint polled by the worker on the source's schedule.

A source names its adapter (``DataSource.pull_adapter``), URL (``pull_url``), interval
(``pull_interval_minutes``) and options (``pull_options``). ``ADAPTERS`` is the registry; each adapter
turns the fetched bytes into reading records for the one ingestion function (``ingest(…, source=source)``,
so a source's endpoint writes only its own stations). A fetch that fails or an answer that cannot be read
at all becomes a dead letter with the reason; readings refused one by one are in the ingestion's answer.

Adapters:

* ``json`` — a JSON array of readings, or an object holding one under ``options["items"]`` (a dotted
  path, e.g. ``data.list``). Field names are mapped by the options ``station``, ``time``, ``value`` and
  ``variable`` (defaults: the same words); ``variable`` may instead be fixed for the whole feed by
  ``options["fixed_variable"]`` (a rain feed), and ``options["tz"]`` reads times written without an offset
  (``"2024-06-01 08:00:00"`` in ``Asia/Shanghai``). This covers the hydrological real-time rain and river
  interfaces (``stcd``, ``tm``, ``drp`` / ``z``) as well as CityWatch's own shape.
* ``csv`` — the long CSV of ``POST /api/v1/observations``.

Fetching is ``warnings.cap.fetching.fetch``: http(s) only, bounded in bytes and redirects, and refusing
private addresses unless ``options["allow_private_addresses"]`` (a bureau's intranet service).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from citywatch.monitoring.actions.ingest import Batch, IngestResult, ingest
from citywatch.monitoring.choices import Channel

log = logging.getLogger(__name__)
MAX_PULL_BYTES = 10 * 1024 * 1024


class AdapterError(ValueError):
    """The answer cannot be read at all (it becomes a dead letter)."""


@dataclass(frozen=True)
class Adapter:
    key: str
    label: str

    def records(self, data: bytes, options: dict) -> list[dict] | Batch:
        raise NotImplementedError


def _path(obj, dotted: str):
    for part in dotted.split("."):
        if not isinstance(obj, dict) or part not in obj:
            raise AdapterError(f"no {dotted!r} in the answer")
        obj = obj[part]
    return obj


def _local_time(value, zone):
    if zone is None or not isinstance(value, str):
        return value
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return value
    return moment.replace(tzinfo=zone).isoformat() if moment.tzinfo is None else value


class JsonAdapter(Adapter):
    def records(self, data: bytes, options: dict) -> list[dict]:
        from citywatch.core.limits import LimitExceeded, check_json_containers

        try:
            check_json_containers(data, settings.CITYWATCH_INGEST_MAX_READINGS * 2 + 10)
            answer = json.loads(data)
        except LimitExceeded as exc:
            raise AdapterError(str(exc)) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise AdapterError(f"not JSON: {exc}") from None
        items = _path(answer, options["items"]) if options.get("items") else answer
        if not isinstance(items, list):
            raise AdapterError("the answer holds no array of readings")
        names = {k: options.get(k, k) for k in ("station", "time", "value", "variable")}
        fixed = options.get("fixed_variable")
        zone = None
        if options.get("tz"):
            try:
                zone = zoneinfo.ZoneInfo(options["tz"])
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise AdapterError(f"unknown time zone {options['tz']!r}") from None
        out = []
        for item in items:
            if not isinstance(item, dict):
                out.append(item)  # refused with its reason by the ingestion
                continue
            out.append(
                {
                    "station": item.get(names["station"]),
                    "variable": fixed or item.get(names["variable"]),
                    "time": _local_time(item.get(names["time"]), zone),
                    "value": item.get(names["value"]),
                    "quality": item.get("quality"),
                }
            )
        return out


class CsvAdapter(Adapter):
    def records(self, data: bytes, options: dict) -> list[dict]:
        from citywatch.core.errors import ActionError

        try:
            return Batch.from_csv(data)
        except ActionError as exc:
            raise AdapterError(str(exc)) from None


ADAPTERS: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    ADAPTERS[adapter.key] = adapter
    return adapter


register(JsonAdapter("json", "JSON array (field names mapped by the source's options)"))
register(CsvAdapter("csv", "CityWatch long CSV"))


def dead_letter(channel: str, source, where: str, payload: bytes | str, reason: str):
    from citywatch.monitoring.models import DeadLetter

    raw = payload if isinstance(payload, bytes) else payload.encode("utf-8", "replace")
    return DeadLetter.objects.create(
        channel=channel,
        source=source,
        where=where[:300],
        payload=raw[: DeadLetter.MAX_PAYLOAD_CHARS].decode("utf-8", "replace"),
        payload_bytes=len(raw),
        reason=str(reason)[:500],
    )


def pull(source, *, now=None) -> IngestResult | None:
    """Fetch and ingest one source's endpoint now. None when the answer was a dead letter."""
    from citywatch.warnings.cap.fetching import fetch
    from citywatch.warnings.cap.problems import FetchFailed

    now = now or timezone.now()
    adapter = ADAPTERS.get(source.pull_adapter)
    options = source.pull_options if isinstance(source.pull_options, dict) else {}
    type(source).objects.filter(pk=source.pk).update(last_pulled_at=now)
    if adapter is None:
        dead_letter(
            Channel.PULL, source, source.pull_url, b"", f"unknown pull adapter {source.pull_adapter!r}"
        )
        return None
    try:
        answer = fetch(
            source.pull_url,
            max_bytes=MAX_PULL_BYTES,
            allow_private_addresses=bool(options.get("allow_private_addresses")),
        )
        data = answer.body or b""
        records = adapter.records(data, options)
    except FetchFailed as exc:
        dead_letter(Channel.PULL, source, source.pull_url, b"", str(exc))
        return None
    except AdapterError as exc:
        dead_letter(Channel.PULL, source, source.pull_url, data, str(exc))
        return None
    batch = records if isinstance(records, Batch) else Batch.from_records(records)
    return ingest(batch, source=source, now=now)


def poll_due(now=None) -> int:
    """Pull every active source whose interval has passed (the worker's minute). Returns how many."""
    from citywatch.monitoring.models import DataSource

    now = now or timezone.now()
    sources = DataSource.objects.filter(active=True).exclude(pull_adapter="").exclude(pull_url="")
    due = [
        s
        for s in sources
        if s.last_pulled_at is None or s.last_pulled_at + dt.timedelta(minutes=s.pull_interval_minutes) <= now
    ]
    count = 0
    for source in due:
        try:
            with transaction.atomic():
                pull(source, now=now)
        except Exception:  # noqa: BLE001 - one source's failure must not stop the others
            log.exception("pull of source %s failed", source.code)
        count += 1
    return count
