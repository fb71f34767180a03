"""Grading of production-safety accidents (State Council Order 493; DOMAIN §3.3).

| Grade     | Deaths | Serious injuries | Direct loss (CNY) |
| Ⅰ 特别重大 | ≥ 30   | ≥ 100            | ≥ 100 million     |
| Ⅱ 重大     | 10–29  | 50–99            | 50–100 million    |
| Ⅲ 较大     | 3–9    | 10–49            | 10–50 million     |
| Ⅳ 一般     | < 3    | < 10             | < 10 million      |

"以上" includes the number and "以下" excludes it (Order 493, art. 3), so each lower bound belongs to the
higher grade. The highest grade reached by any of the three criteria applies.
"""

from __future__ import annotations

from decimal import Decimal

from citywatch.incidents.choices import Category

# (lower bound, severity) from the most severe down; below every bound: "4".
DEATHS = ((30, "1"), (10, "2"), (3, "3"))
SERIOUS_INJURIES = ((100, "1"), (50, "2"), (10, "3"))
DIRECT_LOSS_CNY = ((Decimal(100_000_000), "1"), (Decimal(50_000_000), "2"), (Decimal(10_000_000), "3"))


def _grade(value, bounds) -> str:
    if value is None:
        return "4"
    for lower, severity in bounds:
        if value >= lower:
            return severity
    return "4"


def grade_accident(deaths: int | None = 0, serious_injuries: int | None = 0, direct_loss_cny=0) -> str:
    """The severity ("1" most severe … "4") of a production-safety accident."""
    loss = None if direct_loss_cny is None else Decimal(str(direct_loss_cny))
    grades = (
        _grade(deaths, DEATHS),
        _grade(serious_injuries, SERIOUS_INJURIES),
        _grade(loss, DIRECT_LOSS_CNY),
    )
    return min(grades)


def proposed_severity(incident) -> str | None:
    """The grade by Order 493 for accident disasters; None for other categories."""
    if incident.category != Category.ACCIDENT_DISASTER:
        return None
    return grade_accident(incident.deaths, incident.serious_injuries, incident.direct_loss_cny)
