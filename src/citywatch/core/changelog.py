"""The change log: every create, update and delete of a ``ChangeLogged`` model, with before and after.

Recording happens in model signals so that no path — actions, importers, the Django admin, a shell —
can change a domain object without leaving a row. ``bulk_create`` sends no signal: a bulk writer calls
``log_created`` (the same rows, inserted together). Who is acting comes from a context variable that
the request middleware, the API, the CLI and the worker set (``acting_as``). The "before" image is the
object as it was loaded from the database (captured in ``from_db``), so no extra query is needed.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import decimal
import hashlib
import uuid
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import GEOSGeometry
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save

from citywatch.core.choices import ChangeAction, ChangeSource

# Geometries with more vertices than this are summarised (type, vertex count, bbox, hash) in the log.
MAX_LOGGED_VERTICES = 500
# The change row has its own time; a bare touch of updated_at is not a change.
ALWAYS_EXCLUDED = frozenset({"updated_at"})


@dataclass(frozen=True)
class Actor:
    user: object | None
    source: str
    request_id: str = ""


# Actor is a frozen dataclass, so sharing one default instance is safe.
_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar(
    "citywatch_actor",
    default=Actor(None, ChangeSource.SYSTEM),  # noqa: B039
)


def current_actor() -> Actor:
    return _actor.get()


def set_actor_user(user) -> None:
    """Name the user of the current request once it is known (API tokens authenticate late)."""
    actor = _actor.get()
    _actor.set(Actor(user, actor.source, actor.request_id))


@contextlib.contextmanager
def acting_as(user, source: str, request_id: str | None = None):
    token = _actor.set(Actor(user, source, request_id or uuid.uuid4().hex))
    try:
        yield
    finally:
        _actor.reset(token)


def _geometry_value(geom: GEOSGeometry):
    if geom.num_coords <= MAX_LOGGED_VERTICES:
        return {"type": geom.geom_type, "wkt": geom.wkt}
    return {
        "type": geom.geom_type,
        "vertices": geom.num_coords,
        "bbox": [round(v, 6) for v in geom.extent],
        "sha256": hashlib.sha256(bytes(geom.wkb)).hexdigest(),
    }


def _json_value(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, GEOSGeometry):
        return _geometry_value(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


def serialize(instance: models.Model, values: dict | None = None) -> dict:
    """A JSON image of the object's concrete fields (foreign keys by id), secrets left out.

    ``values`` (attname → value) serialises the image captured when the row was loaded instead.
    """
    exclude = ALWAYS_EXCLUDED | set(getattr(instance, "changelog_exclude", ()))
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude:
            continue
        if values is None:
            data[field.attname] = _json_value(getattr(instance, field.attname))
        elif field.attname in values:
            data[field.attname] = _json_value(values[field.attname])
    return data


def _before(instance) -> dict | None:
    loaded = getattr(instance, "_changelog_loaded", None)
    return None if loaded is None else serialize(instance, loaded)


def change_row(instance, action: str, before: dict | None, after: dict | None):
    """The (unsaved) ``ObjectChange`` of ``action`` on ``instance`` by the current actor."""
    from citywatch.core.models import ObjectChange

    actor = current_actor()
    user = actor.user if getattr(actor.user, "pk", None) else None
    return ObjectChange(
        user=user,
        user_name=getattr(user, "username", "") if user else "",
        source=actor.source,
        request_id=actor.request_id,
        action=action,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        area_path=instance.change_area_path() or "",
        before=before,
        after=after,
    )


def _write(instance, action: str, before: dict | None, after: dict | None):
    change_row(instance, action, before, after).save()


def _loaded(instance) -> None:
    """Remember the image just written: a later save in this process compares against it."""
    instance._changelog_loaded = {
        f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
    }


def log_bulk(objs, action: str, batch_size: int = 500) -> None:
    """The change-log rows of objects written by ``bulk_create`` (``action`` create) or ``bulk_update``
    (update), which send no signal: one row per object, as the post_save handler would write it — the
    current actor, the area path, the image as loaded before (updates) and the image now — inserted in
    bulk too, in the caller's transaction. Callers pass only objects that changed."""
    from citywatch.core.models import ObjectChange

    rows = []
    for obj in objs:
        if obj.pk is None:  # every supported backend returns the new keys
            raise ValueError(f"{type(obj).__name__}: log_bulk needs saved rows (no primary key)")
        before = _before(obj) if action == ChangeAction.UPDATE else None
        rows.append(change_row(obj, action, before, serialize(obj)))
        _loaded(obj)
    ObjectChange.objects.bulk_create(rows, batch_size=batch_size)


def _on_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    after = serialize(instance)
    before = None if created else _before(instance)
    # Nothing to log when every field is as it was loaded (with deferred fields, log to be safe).
    if before is not None and len(before) == len(after) and all(after.get(k) == v for k, v in before.items()):
        return
    _write(instance, ChangeAction.CREATE if created else ChangeAction.UPDATE, before, after)
    _loaded(instance)


def _on_delete(sender, instance, **kwargs):
    before = serialize(instance)
    _write(instance, ChangeAction.DELETE, before, None)


def _on_m2m(sender, instance, action, **kwargs):
    # Many-to-many edits (e.g. a user's groups) are logged as an update of the owning object.
    from citywatch.core.models import ChangeLogged

    if action not in {"post_add", "post_remove", "post_clear"} or not isinstance(instance, ChangeLogged):
        return
    field = next((f for f in instance._meta.many_to_many if f.remote_field.through is sender), None)
    if field is None:
        return
    values = sorted(str(pk) for pk in getattr(instance, field.name).values_list("pk", flat=True))
    before = dict(getattr(instance, "_changelog_m2m", {}))
    after = {**before, field.name: values}
    if before.get(field.name) == values:
        return
    instance._changelog_m2m = after
    _write(instance, ChangeAction.UPDATE, {field.name: before.get(field.name)}, {field.name: values})


def connect_signals():
    from django.apps import apps

    from citywatch.core.models import ChangeLogged

    for model in apps.get_models():
        if issubclass(model, ChangeLogged) and not model._meta.abstract:
            post_save.connect(_on_save, sender=model, weak=False, dispatch_uid=f"cl-save-{model._meta.label}")
            post_delete.connect(
                _on_delete, sender=model, weak=False, dispatch_uid=f"cl-del-{model._meta.label}"
            )
    m2m_changed.connect(_on_m2m, weak=False, dispatch_uid="cl-m2m")
