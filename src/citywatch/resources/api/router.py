"""The one router every module of the resources API adds its routes to."""

from ninja import Router

router = Router(tags=["resources"])
