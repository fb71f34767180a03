"""The monitoring API: sources (to come)."""

from ninja import Router

router = Router(tags=["monitoring"])
