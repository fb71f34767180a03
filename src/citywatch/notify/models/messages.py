"""The outbox row: one event an app's action wrote in the same transaction as its change."""

from __future__ import annotations

import functools

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citywatch.core.models.base import RestrictedQuerySet
from citywatch.notify.choices import Level

# A dotted event kind, lower case: "warning.issued", "response.changed", "action.overdue".
KIND_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
HAZARD_PATTERN = r"^[a-z][a-z0-9_]*$"


@functools.cache
def reaching_above() -> tuple:
    """The installed models whose rows are seen from below their area (``view_reaches_above``), found
    once per process (the live streams ask at every poll)."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        manager = getattr(model, "_default_manager", None)
        if manager is None or not getattr(manager.get_queryset(), "view_reaches_above", False):
            continue
        if model._meta.proxy or not model.__module__.startswith("citywatch."):
            continue
        found.append(model)
    return tuple(found)


class MessageQuerySet(RestrictedQuerySet):
    """A message about an object seen from below its area (a city-wide warning, seen by district staff:
    ``view_reaches_above``) is seen wherever that object is."""

    def jurisdiction_q(self, user, scope, action):
        own = super().jurisdiction_q(user, scope, action)
        ancestors = scope.ancestors()
        if action != "view" or not ancestors:
            return own
        from django.db.models import CharField, Q
        from django.db.models.functions import Cast

        for model in reaching_above():
            seen = (
                model._default_manager.restrict(user, "view")
                .annotate(key=Cast("pk", CharField()))
                .values("key")
            )
            ct = ContentType.objects.get_for_model(model)
            own |= Q(area_path__in=ancestors, content_type=ct, object_id__in=seen)
        return own


class Message(models.Model):
    """One event for the outside world (通知). Written by ``notify.publish`` inside the caller's
    transaction and never changed afterwards, except for the fan-out stamp the worker sets once."""

    kind = models.CharField(_("event kind"), max_length=64, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    area = models.ForeignKey(
        "core.AdminArea",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The area's path when the message was written ("350200.350203."): jurisdiction and matching.
    area_path = models.CharField(max_length=160, blank=True, db_index=True, editable=False)
    hazard = models.CharField(_("hazard"), max_length=32, blank=True)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, blank=True)
    exercise = models.BooleanField(_("exercise (drill)"), default=False)
    public = models.BooleanField(_("public"), default=False)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    # The object the event is about (a warning, a response, a dispatch), if any.
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    obj = GenericForeignKey("content_type", "object_id")
    # Set once, by the worker that made this message's deliveries (a conditional UPDATE claims it).
    fanned_out_at = models.DateTimeField(_("fanned out at"), null=True, blank=True)
    fanned_out_by = models.CharField(max_length=100, blank=True)

    objects = MessageQuerySet.as_manager()

    jurisdiction_path = "area_path"

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-id"]
        indexes = [models.Index(fields=["fanned_out_at", "id"], name="notify_msg_fanout_idx")]

    def __str__(self):
        return f"{self.kind}: {self.subject}"

    def envelope(self) -> dict:
        """The message as every transport and the live stream send it (JSON)."""
        obj = None
        if self.content_type_id:
            ct = ContentType.objects.get_for_id(self.content_type_id)
            obj = {"type": f"{ct.app_label}.{ct.model}", "id": self.object_id}
        return {
            "id": self.pk,
            "kind": self.kind,
            "created_at": self.created_at.isoformat(),
            "area": {"code": self.area.code, "name": self.area.name} if self.area_id else None,
            "hazard": self.hazard,
            "level": self.level,
            "exercise": self.exercise,
            "status": "exercise" if self.exercise else "actual",
            "public": self.public,
            "subject": self.subject,
            "body": self.body,
            "payload": self.payload,
            "object": obj,
        }
