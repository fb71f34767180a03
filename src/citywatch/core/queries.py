"""Read paths of the core app. Every one starts from ``restrict(user, action)``."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.http import Http404

from citywatch.core.models import AdminArea, ObjectChange


def areas_for(user, action: str = "view"):
    return AdminArea.objects.restrict(user, action).select_related("parent")


def area_for(user, code: str, action: str = "view") -> AdminArea:
    if len(code) > 12 or not code.isdigit():
        raise Http404("no such area")
    area = areas_for(user, action).filter(code=code).first()
    if area is None:
        raise Http404("no such area in your jurisdiction")
    return area


def changes_for(user):
    return ObjectChange.objects.restrict(user, "view").select_related("content_type")


def changes_of(user, obj):
    """The change history of one object, as the user may see it."""
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    return changes_for(user).filter(content_type=ct, object_id=str(obj.pk))
