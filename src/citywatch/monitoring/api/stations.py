"""The monitoring API: stations (to come)."""

from ninja import Router

router = Router(tags=["monitoring"])
