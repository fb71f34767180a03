"""The monitoring API: rules (to come)."""

from ninja import Router

router = Router(tags=["monitoring"])
