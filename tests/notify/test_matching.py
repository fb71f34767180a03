"""Which subscriptions a message goes to: kinds × hazards × minimum level × area × exercise/public, over
small tables of cases (the rule is ``queries.matches``; the fan-out uses it)."""

import itertools

import pytest

from citywatch.notify.models import Message, Subscription
from citywatch.notify.queries import kind_matches, matches

CITY, SIMING, SIMING_STREET, HULI = "350200.", "350200.350203.", "350200.350203.350203001.", "350200.350206."


def sub(**fields):
    base = {
        "transport": "webhook",
        "active": True,
        "kinds": [],
        "hazards": [],
        "min_level": "",
        "area_path": "",
    }
    return Subscription(**{**base, **fields})


def msg(**fields):
    base = {"kind": "warning.issued", "hazard": "rainstorm", "level": "yellow", "area_path": SIMING}
    return Message(**{**base, **fields})


@pytest.mark.parametrize(
    ("patterns", "kind", "expected"),
    [
        ([], "warning.issued", True),
        (["warning.issued"], "warning.issued", True),
        (["warning.issued"], "warning.lifted", False),
        (["warning.*"], "warning.lifted", True),
        (["warning.*"], "warnings.lifted", False),
        (["warning.*"], "warning", False),
        (["response.*", "alarm.opened"], "alarm.opened", True),
        (["response.*", "alarm.opened"], "alarm.cleared", False),
        (["a.b.*"], "a.b.c.d", True),
    ],
)
def test_kinds(patterns, kind, expected):
    assert kind_matches(patterns, kind) is expected


LEVELS = ["", "blue", "yellow", "orange", "red"]


@pytest.mark.parametrize(("minimum", "level"), list(itertools.product(LEVELS, LEVELS)))
def test_minimum_level(minimum, level):
    rank = {"": 0, "blue": 1, "yellow": 2, "orange": 3, "red": 4}
    # No minimum takes everything; with one, a message needs a level at least as high (none is too low).
    expected = minimum == "" or (level != "" and rank[level] >= rank[minimum])
    assert matches(sub(min_level=minimum), msg(level=level)) is expected


@pytest.mark.parametrize(
    ("sub_area", "msg_area", "expected"),
    [
        ("", SIMING, True),
        ("", "", True),
        (CITY, SIMING, True),
        (SIMING, SIMING, True),
        (SIMING, SIMING_STREET, True),
        (SIMING, HULI, False),
        (SIMING, CITY, True),  # a wider area's message naming no areas concerns the whole of it
        (SIMING, "", False),
        (SIMING_STREET, SIMING, True),  # the district's message concerns its streets
        (SIMING_STREET, HULI, False),
    ],
)
def test_area_and_below(sub_area, msg_area, expected):
    assert matches(sub(area_path=sub_area), msg(area_path=msg_area)) is expected


@pytest.mark.parametrize(
    ("hazards", "hazard", "expected"),
    [
        ([], "typhoon", True),
        (["typhoon"], "typhoon", True),
        (["typhoon"], "rainstorm", False),
        (["typhoon"], "", False),
    ],
)
def test_hazards(hazards, hazard, expected):
    assert matches(sub(hazards=hazards), msg(hazard=hazard)) is expected


# (subscription public, includes exercises) × (message exercise, message public) → delivered?
EXERCISE_TABLE = {
    # internal subscription, no exercises
    (False, False, False, False): True,
    (False, False, False, True): True,
    (False, False, True, False): False,
    (False, False, True, True): False,
    # internal subscription that includes exercises
    (False, True, False, False): True,
    (False, True, False, True): True,
    (False, True, True, False): True,
    (False, True, True, True): True,
    # public transport: only public messages, never an exercise, whatever its filters say
    (True, False, False, False): False,
    (True, False, False, True): True,
    (True, False, True, False): False,
    (True, False, True, True): False,
    (True, True, False, False): False,
    (True, True, False, True): True,
    (True, True, True, False): False,
    (True, True, True, True): False,
}


@pytest.mark.parametrize(("case", "expected"), list(EXERCISE_TABLE.items()))
def test_exercise_and_public(case, expected):
    sub_public, include_exercise, exercise, public = case
    assert (
        matches(
            sub(public=sub_public, include_exercise=include_exercise), msg(exercise=exercise, public=public)
        )
        is expected
    )


def test_all_filters_together():
    s = sub(kinds=["warning.*"], hazards=["typhoon"], min_level="orange", area_path=SIMING)
    good = msg(kind="warning.updated", hazard="typhoon", level="red", area_path=SIMING_STREET)
    assert matches(s, good)
    for change in (
        {"kind": "response.started"},
        {"hazard": "rainstorm"},
        {"level": "yellow"},
        {"area_path": HULI},
        {"exercise": True},
    ):
        fields = {f: getattr(good, f) for f in ("kind", "hazard", "level", "area_path", "exercise")}
        assert not matches(s, msg(**{**fields, **change})), change
    assert not matches(sub(active=False), good)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["350203", "350206"], {SIMING: True, HULI: True, SIMING_STREET: True, "350200.350212.": False}),
        (["350200"], {SIMING: True, HULI: True, SIMING_STREET: True, "350200.350212.": True}),
        (["350206"], {SIMING: False, HULI: True, SIMING_STREET: False, "350200.350212.": False}),
        ([], {SIMING: True, HULI: True, SIMING_STREET: True, "350200.350212.": True}),
    ],
)
def test_a_wider_areas_message_goes_to_the_areas_it_names(codes, expected):
    """A warning naming 思明区 and 湖里区 has the city as its area: it goes to the subscribers of those
    districts (and of places in them), not to 同安区's; a city-wide one goes to every district's."""
    message = msg(area_path=CITY, payload={"area_codes": codes})
    for sub_path, wanted in expected.items():
        assert matches(sub(area_path=sub_path), message) is wanted, (codes, sub_path)
