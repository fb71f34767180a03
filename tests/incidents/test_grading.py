"""Production-safety accident grading (Order 493): every boundary, highest criterion wins."""

from decimal import Decimal

import pytest

from citywatch.incidents.grading import grade_accident


@pytest.mark.parametrize(
    ("deaths", "grade"),
    [(0, "4"), (2, "4"), (3, "3"), (9, "3"), (10, "2"), (29, "2"), (30, "1"), (1000, "1")],
)
def test_deaths(deaths, grade):
    assert grade_accident(deaths=deaths) == grade


@pytest.mark.parametrize(
    ("serious", "grade"),
    [(0, "4"), (9, "4"), (10, "3"), (49, "3"), (50, "2"), (99, "2"), (100, "1"), (5000, "1")],
)
def test_serious_injuries(serious, grade):
    assert grade_accident(serious_injuries=serious) == grade


@pytest.mark.parametrize(
    ("loss", "grade"),
    [
        (0, "4"),
        (9_999_999, "4"),
        ("9999999.99", "4"),
        (10_000_000, "3"),
        (49_999_999, "3"),
        ("49999999.99", "3"),
        (50_000_000, "2"),
        (99_999_999, "2"),
        ("99999999.99", "2"),
        (100_000_000, "1"),
        (Decimal("1e12"), "1"),
    ],
)
def test_direct_loss(loss, grade):
    assert grade_accident(direct_loss_cny=loss) == grade


@pytest.mark.parametrize(
    ("deaths", "serious", "loss", "grade"),
    [
        (2, 9, 9_999_999, "4"),
        (3, 0, 0, "3"),
        (0, 10, 0, "3"),
        (0, 0, 10_000_000, "3"),
        (2, 50, 0, "2"),
        (9, 49, 50_000_000, "2"),
        (29, 99, 100_000_000, "1"),
        (30, 0, 0, "1"),
        (0, 100, 0, "1"),
        (3, 99, 49_999_999, "2"),
        (10, 10, 10_000_000, "2"),
    ],
)
def test_highest_criterion_wins(deaths, serious, loss, grade):
    assert grade_accident(deaths, serious, loss) == grade


def test_missing_values_count_as_none():
    assert grade_accident(None, None, None) == "4"
