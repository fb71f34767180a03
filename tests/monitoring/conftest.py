"""Monitoring fixtures: sources and stations of the tests' own (ids ``t-…``) in Siming and Huli, a data
feed for Siming's source, and a 3-hour rain rule."""

from __future__ import annotations

import datetime as dt

import pytest

T0 = dt.datetime(2024, 6, 1, 0, 0, tzinfo=dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def reading(station: str, minutes: float, value, variable: str = "rain", **extra) -> dict:
    return {"station": station, "variable": variable, "time": iso(at(minutes)), "value": value, **extra}


@pytest.fixture(autouse=True)
def in_english():
    """Reasons and messages in English, so the tests can read them."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def network(db):
    """Siming's and Huli's rain sources (three gauges each: t-siming-0…2, t-huli-0…2), Siming's data feed
    account ``t-feed-siming`` and the 3-hour rain rule."""
    from citywatch.core import actions as core_actions
    from citywatch.core.models import AdminArea
    from tests.support.monitoring import rain_rule, source_in, station_in
    from tests.support.places import HULI, SIMING

    feed, _ = core_actions.save_user(
        username="t-feed-siming", role="data_feed", jurisdiction=AdminArea.objects.get(code=SIMING),
        must_change_password=False,
    )  # fmt: skip
    out = {"feed": feed}
    for key, code in (("siming", SIMING), ("huli", HULI)):
        source = source_in(code, feed_user=feed if key == "siming" else None)
        out[key] = source
        out[f"{key}_stations"] = [
            station_in(code, source=source, external_id=f"t-{key}-{i}") for i in range(3)
        ]
    out["rule"] = rain_rule()
    return out
