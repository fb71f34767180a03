"""The browser tests' fast start (``conftest.restore_base``) leaves the database as loading the demo's
areas and people does: the same rows in every table, the same permissions for every user."""

import pytest

from tests.support.browser import restore_base

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fingerprint() -> dict:
    from django.apps import apps

    from citywatch.core.models import AdminArea, ObjectChange, User

    counts = {m._meta.label: m.objects.count() for m in apps.get_models(include_auto_created=True)}
    users = sorted(
        (u.username, u.role, u.jurisdiction.path if u.jurisdiction else None, sorted(u.get_all_permissions()))
        for u in User.objects.select_related("jurisdiction")
    )
    areas = sorted(
        (a.code, a.path, a.name, a.level, a.point and a.point.wkt, a.boundary and a.boundary.num_coords)
        for a in AdminArea.objects.all()
    )
    # Ids differ between loads (the flush does not reset the id counters): compare what changed.
    changes = sorted(
        ObjectChange.objects.values_list("content_type__model", "object_repr", "action", "area_path")
    )
    return {"counts": counts, "users": users, "areas": areas, "changes": changes}


def test_restored_base_is_what_the_loader_writes():
    from django.core.management import call_command

    from citywatch.demo.loader import load_demo

    restore_base()  # loads the first time, restores afterwards
    restore_base_state = fingerprint()
    call_command("flush", interactive=False, verbosity=0)
    load_demo(with_resources=False)
    loaded = fingerprint()
    counts = loaded["counts"], restore_base_state["counts"]
    assert counts[0] == counts[1], _diff(*counts)
    assert loaded == restore_base_state
    call_command("flush", interactive=False, verbosity=0)
    restore_base()
    again = fingerprint()
    assert again["counts"] == restore_base_state["counts"], _diff(
        again["counts"], restore_base_state["counts"]
    )
    assert again == restore_base_state


def _diff(a: dict, b: dict) -> dict:
    return {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}
