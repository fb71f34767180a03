"""The monitoring API: alarms (to come)."""

from ninja import Router

router = Router(tags=["monitoring"])
