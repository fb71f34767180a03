"""Places of the demo city the tests use (Xiamen's real division codes)."""

from __future__ import annotations

SIMING, HULI, TONGAN = "350203", "350206", "350212"
CITY = "350200"


def place(code: str) -> tuple[float, float]:
    """A point inside the area ``code`` (its representative point)."""
    from citywatch.core.models import AdminArea

    area = AdminArea.objects.get(code=code)
    return area.point.x, area.point.y
