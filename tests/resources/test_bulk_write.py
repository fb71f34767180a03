"""The one bulk write of resources (``actions.save_resources``), used by the importers and the demo: new
records in bulk and change-logged as the signal would log them, changed ones saved and logged, unchanged
ones left alone, and a conflict writes nothing."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext

from citywatch.core.changelog import acting_as, serialize
from citywatch.core.choices import ChangeSource
from citywatch.core.models import AdminArea, ObjectChange
from citywatch.resources import actions
from citywatch.resources.kinds import KINDS
from citywatch.resources.models import Shelter, ShelterOccupancy
from tests.support.places import SIMING, place

pytestmark = pytest.mark.django_db

SHELTERS = KINDS["shelters"]


def shelter_fields(external_id, **extra):
    from django.contrib.gis.geos import Point

    return {
        "external_id": external_id,
        "name": f"测试避灾点 {external_id}",
        "kind": "disaster_point",
        "capacity": 100,
        "area": AdminArea.objects.get(code=SIMING),
        "location": Point(*place(SIMING), srid=4326),
        **extra,
    }


def changes_of(obj):
    ct = ContentType.objects.get_for_model(type(obj))
    return list(ObjectChange.objects.filter(content_type=ct, object_id=str(obj.pk)).order_by("id"))


def test_new_changed_and_unchanged_records_in_one_write(user):
    officer = user("siming_officer")
    existing = Shelter.objects.filter(area__path__startswith="350200.350203.").order_by("pk")[:2]
    same, changed = list(existing)
    with acting_as(officer, ChangeSource.API):
        results = actions.save_resources(
            SHELTERS,
            [
                (shelter_fields("bulk-1"), None),
                ({"name": same.name, "capacity": same.capacity}, same),
                ({"name": changed.name + "（改）", "status": "closed"}, changed),
                (shelter_fields("bulk-2", occupancy=5), None),
            ],
            keep=("status",),
        )
    assert [outcome for _obj, outcome in results] == ["created", "unchanged", "updated", "created"]
    first, second = results[0][0], results[3][0]
    # the new ones: one "create" row each, as the signal writes it, by the acting user
    for obj in (first, second):
        (change,) = changes_of(obj)
        assert change.action == "create" and change.before is None
        assert change.after == serialize(Shelter.objects.get(pk=obj.pk))
        assert change.user == officer and change.source == "api"
        assert change.area_path == obj.area.path
    # a new shelter gets the first line of its occupancy history
    assert list(ShelterOccupancy.objects.filter(shelter=second).values_list("occupancy", "user")) == [
        (5, officer.pk)
    ]
    # the changed one is saved and logged; "status" is kept (set only on creation)
    changed.refresh_from_db()
    assert changed.name.endswith("（改）") and changed.status != "closed"
    assert changes_of(changed)[-1].action == "update"
    assert not [c for c in changes_of(same) if c.source == "api"]


def test_a_conflict_writes_nothing():
    before = (Shelter.objects.count(), ObjectChange.objects.count())
    with pytest.raises(actions.RecordConflict) as caught:
        actions.save_resources(SHELTERS, [(shelter_fields("twice"), None), (shelter_fields("twice"), None)])
    assert caught.value.index is None
    assert str(caught.value) == gettext("another record already has this external id")
    assert (Shelter.objects.count(), ObjectChange.objects.count()) == before
