"""The monitoring API: observations (to come)."""

from ninja import Router

router = Router(tags=["monitoring"])
