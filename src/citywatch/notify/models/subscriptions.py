"""Who gets what: a transport, a target and the filters a message must pass."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel
from citywatch.notify.choices import Level


class Subscription(DomainModel):
    """A destination for messages (订阅): an MQTT topic, a webhook URL or e-mail addresses, with filters.

    A message matches when its kind is one of ``kinds`` (or starts with an entry ending in ``.*``), its
    hazard one of ``hazards``, its level at least ``min_level`` (a message without a level then does not
    match), and its area lies in ``area`` or below, or is a wider area's that concerns ``area``
    (``queries.area_matches``; a subscription without an area takes every area).
    Empty lists take everything. Exercise (drill) messages go only to subscriptions that include them,
    and never to a public one; a public subscription takes only messages marked public.
    """

    name = models.CharField(_("name"), max_length=100)
    transport = models.CharField(_("transport"), max_length=16)
    # MQTT: a topic template ("citywatch/{kind}/{area_code}"); webhook: an http(s) URL; e-mail: addresses.
    target = models.CharField(_("target"), max_length=1000)
    # The HMAC-SHA256 key of a webhook: shown once at creation, never logged, never shown again.
    secret = models.CharField(_("signing secret"), max_length=128, blank=True)
    kinds = models.JSONField(_("event kinds"), default=list, blank=True)
    hazards = models.JSONField(_("hazards"), default=list, blank=True)
    min_level = models.CharField(_("minimum level"), max_length=8, choices=Level.choices, blank=True)
    area = models.ForeignKey(
        "core.AdminArea",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    area_path = models.CharField(max_length=160, blank=True, db_index=True, editable=False)
    include_exercise = models.BooleanField(_("include exercises"), default=False)
    public = models.BooleanField(_("public transport"), default=False)
    active = models.BooleanField(_("active"), default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    jurisdiction_path = "area_path"
    changelog_exclude = ("secret", "area_path")

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def change_area_path(self) -> str:
        return self.area_path

    @property
    def transport_label(self) -> str:
        from citywatch.notify.transports import label_of

        return label_of(self.transport)
