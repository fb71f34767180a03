"""How OpenStreetMap way tags become a car's road graph: classes, speeds, one-way rules, access.

Everything here is a table or a small pure function of a way's tags, so that the rules are documented
in one place (docs/performance.md repeats the tables) and tested directly.

Road classes (``highway=*``) a car may use, with the speed assumed when the way has no usable
``maxspeed`` (km/h; typical free-flow speeds of an urban car, close to the OSRM car profile's class
table)::

    motorway 90   motorway_link 45   trunk 80     trunk_link 40     primary 60    primary_link 30
    secondary 50  secondary_link 25  tertiary 40  tertiary_link 20  unclassified 25
    residential 25  living_street 10  service 15

Every other ``highway`` value (footway, path, pedestrian, steps, cycleway, bridleway, track, road,
construction, proposed, …) is left out, as are ways tagged ``area=yes``.

``maxspeed`` (and ``maxspeed:forward`` / ``maxspeed:backward`` for one direction):

* a number is km/h (``60``, ``60 km/h``, ``60 kmh``, ``60 kph``); ``mph`` multiplies by 1.609344;
* ``walk`` is 7 km/h; ``none`` (no limit, e.g. a German autobahn) is 130 km/h;
* a country-and-zone value (``CN:urban``, ``DE:rural``, …) is looked up in ``IMPLICIT_MAXSPEED``
  below; ``<any country>:living_street`` is 10 km/h;
* several values separated by ``;`` take the lowest; anything else (``signals``, ``variable``, an
  unknown country zone, 0, or a number above 300) falls back to the class default and is counted as
  "not understood" in the import report.

The tagged limit is used as the travel speed (free flow, no congestion model).

One-way (``oneway``): ``yes``/``true``/``1`` forward only, ``-1``/``reverse`` backward only,
``no``/``false``/``0`` both ways; with no tag, ``highway=motorway`` and ``junction=roundabout`` (or
``circular``) are one-way forward. ``oneway=reversible`` or ``alternating`` (direction changes by the
hour) is left out, as OSRM does.

Access: the most specific of ``motorcar``, ``motor_vehicle``, ``vehicle``, ``access`` that is tagged
decides; ``no``, ``private``, ``agricultural`` and ``forestry`` close the way to cars (so
``access=no`` + ``motor_vehicle=yes`` is open, and ``motor_vehicle=private`` is closed).
"""

from __future__ import annotations

import functools
import re

DEFAULT_SPEED_KMH: dict[str, float] = {
    "motorway": 90,
    "motorway_link": 45,
    "trunk": 80,
    "trunk_link": 40,
    "primary": 60,
    "primary_link": 30,
    "secondary": 50,
    "secondary_link": 25,
    "tertiary": 40,
    "tertiary_link": 20,
    "unclassified": 25,
    "residential": 25,
    "living_street": 10,
    "service": 15,
}
DRIVABLE = frozenset(DEFAULT_SPEED_KMH)

MPH = 1.609344
WALK_KMH = 7.0
NO_LIMIT_KMH = 130.0
MAX_PLAUSIBLE_KMH = 300.0  # a larger number is a tagging error, not a speed

# Implicit limits by country and zone, km/h. China from 《道路交通安全法实施条例》 art. 45/78: a road with
# one lane per direction is 50 in a city and 70 outside, an expressway at most 120 (roads without a
# centre line are lower, 30/40, but are rarely tagged that way). Others from the OSM wiki page
# "Default speed limits" (national rules for cars).
IMPLICIT_MAXSPEED: dict[str, float] = {
    "CN:urban": 50,
    "CN:rural": 70,
    "CN:motorway": 120,
    "CN:expressway": 120,
    "HK:urban": 50,
    "TW:urban": 50,
    "DE:urban": 50,
    "DE:rural": 100,
    "DE:motorway": NO_LIMIT_KMH,
    "DE:living_street": WALK_KMH,
    "AT:urban": 50,
    "AT:rural": 100,
    "AT:motorway": 130,
    "CH:urban": 50,
    "CH:rural": 80,
    "CH:trunk": 100,
    "CH:motorway": 120,
    "FR:urban": 50,
    "FR:rural": 80,
    "FR:motorway": 130,
    "IT:urban": 50,
    "IT:rural": 90,
    "IT:trunk": 110,
    "IT:motorway": 130,
    "ES:urban": 50,
    "ES:rural": 90,
    "ES:motorway": 120,
    "NL:urban": 50,
    "NL:rural": 80,
    "NL:trunk": 100,
    "NL:motorway": 100,
    "PL:urban": 50,
    "PL:rural": 90,
    "PL:motorway": 140,
    "RU:urban": 60,
    "RU:rural": 90,
    "RU:motorway": 110,
    "RU:living_street": 20,
    "GB:nsl_single": 60 * MPH,
    "GB:nsl_dual": 70 * MPH,
    "GB:motorway": 70 * MPH,
    "UK:nsl_single": 60 * MPH,
    "UK:nsl_dual": 70 * MPH,
    "UK:motorway": 70 * MPH,
    "JP:nsl": 60,
    "JP:motorway": 100,
}
LIVING_STREET_KMH = 10.0

ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
ONEWAY_NO = frozenset({"no", "false", "0"})
ONEWAY_EXCLUDED = frozenset({"reversible", "alternating"})
ROUNDABOUT = frozenset({"roundabout", "circular"})
ACCESS_KEYS = ("motorcar", "motor_vehicle", "vehicle", "access")
ACCESS_CLOSED = frozenset({"no", "private", "agricultural", "forestry"})

_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*$", re.IGNORECASE)
_ZONE = re.compile(r"^([A-Za-z]{2}):([a-z_]+)$")


@functools.lru_cache(maxsize=4096)
def parse_maxspeed(value: str | None) -> float | None:
    """km/h for a ``maxspeed`` value, or None when it is absent or not understood."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if ";" in text:
        parts = [parse_maxspeed(part) for part in text.split(";")]
        known = [p for p in parts if p is not None]
        return min(known) if known else None
    lowered = text.lower()
    if lowered == "walk":
        return WALK_KMH
    if lowered == "none":
        return NO_LIMIT_KMH
    match = _NUMBER.match(text)
    if match:
        speed = float(match.group(1))
        if match.group(2) and match.group(2).lower() == "mph":
            speed *= MPH
        return speed if 0 < speed <= MAX_PLAUSIBLE_KMH else None
    match = _ZONE.match(text)
    if match:
        key = f"{match.group(1).upper()}:{match.group(2)}"
        if key in IMPLICIT_MAXSPEED:
            return float(IMPLICIT_MAXSPEED[key])
        if match.group(2) == "living_street":
            return LIVING_STREET_KMH
    return None


def closed_to_cars(tags) -> bool:
    """True when the most specific access tag present closes the way to cars."""
    for key in ACCESS_KEYS:
        value = tags.get(key)
        if value is not None:
            return value.strip().lower() in ACCESS_CLOSED
    return False


def oneway(tags, highway: str) -> int | None:
    """1: forward only, -1: backward only, 0: both ways, None: left out (reversible)."""
    value = tags.get("oneway")
    if value is not None:
        value = value.strip().lower()
        if value in ONEWAY_FORWARD:
            return 1
        if value in ONEWAY_BACKWARD:
            return -1
        if value in ONEWAY_EXCLUDED:
            return None
        if value in ONEWAY_NO:
            return 0
    if highway == "motorway" or tags.get("junction") in ROUNDABOUT:
        return 1
    return 0


def way_speeds(tags, highway: str) -> tuple[float, float, bool] | None:
    """``(forward_kmh, backward_kmh, maxspeed_not_understood)`` for a drivable way; a speed of 0 means
    that direction may not be driven. None when the way is not part of the car graph."""
    if highway not in DRIVABLE or tags.get("area") == "yes" or closed_to_cars(tags):
        return None
    direction = oneway(tags, highway)
    if direction is None:
        return None
    default = float(DEFAULT_SPEED_KMH[highway])
    raw = tags.get("maxspeed")
    raw_fwd = tags.get("maxspeed:forward")
    raw_bwd = tags.get("maxspeed:backward")
    both = parse_maxspeed(raw)
    fwd = parse_maxspeed(raw_fwd)
    bwd = parse_maxspeed(raw_bwd)
    unknown = any(r is not None and p is None for r, p in ((raw, both), (raw_fwd, fwd), (raw_bwd, bwd)))
    general = both if both is not None else default
    forward = fwd if fwd is not None else general
    backward = bwd if bwd is not None else general
    if direction == 1:
        backward = 0.0
    elif direction == -1:
        forward = 0.0
    return forward, backward, unknown
