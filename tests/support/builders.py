"""Records the tests need, made through the actions (as the application makes them)."""

from __future__ import annotations

from tests.support.places import SIMING, place


def new_incident(username: str = "duty_officer", code: str = SIMING, **extra):
    from citywatch.core.models import User
    from citywatch.incidents import actions

    lon, lat = place(code)
    data = {"title": "测试事件", "category": "natural_disaster", "type": "flood", "lon": lon, "lat": lat}
    data.update(extra)
    return actions.create_incident(User.objects.get(username=username), data)


def team_in(code: str, status: str = "available", skip: int = 0):
    """A demo rescue team of the area ``code`` with a leader on record (dispatch orders go to them),
    put in ``status``; ``skip`` passes over the first ones (for a second team)."""
    from citywatch.resources.models import RescueTeam

    team = (
        RescueTeam.objects.filter(area__path__contains=f"{code}.", leader__isnull=False)
        .exclude(leader__username="team_leader")
        .order_by("pk")[skip]
    )
    RescueTeam.objects.filter(pk=team.pk).update(status=status)
    team.refresh_from_db()
    return team


def depot_with(quantity, code: str = SIMING, name: str = "思明区应急物资储备库（事件测试）"):
    """A new depot in the area ``code`` holding ``quantity`` tents (item TENT-T)."""
    from citywatch.core.models import AdminArea
    from citywatch.resources import actions as ledger
    from citywatch.resources.models import Depot, SupplyItem

    area = AdminArea.objects.get(code=code)
    depot = Depot.objects.create(name=name, kind="district", area=area, location=area.point)
    item = SupplyItem.objects.get_or_create(
        code="TENT-T", defaults={"name": "帐篷", "category": "shelter", "unit": "顶"}
    )[0]
    if quantity:
        ledger.record_movement(depot, item, "receipt", quantity)
    return depot, item


def expert_in(code: str = SIMING, availability: str = "available"):
    """A demo expert of the area ``code``'s pool, put in ``availability``."""
    from citywatch.resources.models import Expert

    expert = Expert.objects.filter(area__path__contains=f"{code}.").order_by("pk").first()
    Expert.objects.filter(pk=expert.pk).update(availability=availability)
    expert.refresh_from_db()
    return expert


RECORD_FIELDS = {
    "rescue-teams": {"kind": "fire_rescue", "members": 10},
    "depots": {"kind": "street"},
    "medical-facilities": {"level": "2"},
    "shelters": {"kind": "disaster_point", "capacity": 100},
    "experts": {},
    "facilities": {"kind": "helipad"},
    "duty-people": {"kind": "info_officer"},
    "supply-items": {"code": "TEST-ITEM", "name": "测试物资", "category": "shelter", "unit": "个"},
}


def record_in(slug: str, code: str = SIMING):
    """A new record of the resource kind ``slug`` in the area ``code`` (a catalogue entry for kinds
    without a place), saved through the resources' write action."""
    from django.contrib.gis.geos import Point

    from citywatch.core.models import AdminArea
    from citywatch.resources import actions
    from citywatch.resources.kinds import KINDS
    from citywatch.resources.models import ExpertCategory

    kind = KINDS[slug]
    fields = dict(RECORD_FIELDS[slug])
    if kind.located:
        fields.update(
            name=f"测试{kind.model._meta.verbose_name}",
            area=AdminArea.objects.get(code=code),
            location=Point(*place(code), srid=4326),
        )
    if slug == "experts":
        fields["category"] = ExpertCategory.objects.order_by("code").first()
    return actions.save_resource(kind, fields)[0]
