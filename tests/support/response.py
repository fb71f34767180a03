"""Builders of plans, responses and proposals for the tests (in the demo city)."""

from __future__ import annotations

from django.db import transaction

from tests.support.places import SIMING


def siming_plan(hazard: str = "flood"):
    """A small plan of ``hazard`` for 思明区 (levels Ⅳ and Ⅲ, two actions each)."""
    from citywatch.core.models import AdminArea
    from citywatch.response import actions

    area = AdminArea.objects.get(code=SIMING)
    spec = actions.PlanSpec(
        hazard,
        "思明区测试预案",
        area,
        "same",
        [
            actions.LevelSpec(
                "4",
                "蓝色预警",
                [
                    actions.ActionSpec("会商", "思明区应急管理局", 30),
                    actions.ActionSpec("巡查", "市水利局", 60),
                ],
            ),
            actions.LevelSpec(
                "3",
                "黄色预警",
                [
                    actions.ActionSpec("转移", "思明区应急管理局", 60),
                    actions.ActionSpec("值守", "市公安局", 90),
                ],
            ),
        ],
    )
    return actions.save_plan(None, spec)[0]


def siming_response(level: str = "4", hazard: str = "flood"):
    from citywatch.core.models import User
    from citywatch.response import actions

    return actions.start(User.objects.get(username="commander"), siming_plan(hazard), level)


def warning_event(kind="warning.issued", hazard="flood", colour="blue", code=SIMING, exercise=False):
    from citywatch import notify
    from citywatch.core.models import AdminArea

    with transaction.atomic():
        return notify.publish(
            kind,
            area=AdminArea.objects.get(code=code),
            subject=f"{hazard} {colour}",
            hazard=hazard,
            level=colour,
            exercise=exercise,
            public=not exercise,
        )


def siming_proposal():
    from citywatch.response.models import Proposal

    siming_plan()
    warning_event()
    return Proposal.objects.latest("id")
