"""The retry schedule: exponential from the base, capped, with jitter between half of it and all of it."""

import random

import pytest

from citywatch.notify.actions import backoff_seconds


@pytest.fixture
def schedule(settings):
    settings.CITYWATCH_NOTIFY_RETRY_BASE_SECONDS = 30
    settings.CITYWATCH_NOTIFY_RETRY_MAX_SECONDS = 1800


@pytest.mark.parametrize(
    ("failures", "full"),
    [
        (1, 30),
        (2, 60),
        (3, 120),
        (4, 240),
        (5, 480),
        (6, 960),
        (7, 1800),
        (8, 1800),
        (30, 1800),
        (10_000, 1800),
    ],
)
def test_each_pause_lies_between_half_and_all_of_the_exponential_step(schedule, failures, full):
    rng = random.Random(failures)
    pauses = [backoff_seconds(failures, rng) for _ in range(200)]
    assert all(full / 2 <= p <= full for p in pauses)
    # Jitter spreads them out: not all the same, and both halves of the range are used.
    assert max(pauses) - min(pauses) > full / 4


def test_the_extremes_of_the_jitter(schedule):
    class Low(random.Random):
        def uniform(self, a, b):
            return a

    class High(random.Random):
        def uniform(self, a, b):
            return b

    assert backoff_seconds(3, Low()) == 60 and backoff_seconds(3, High()) == 120
