"""Official CAP feeds the worker polls (conditional GET), and the entries already fetched from them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import DomainModel


class CapFeed(DomainModel):
    """An Atom or RSS feed of CAP alerts from an official issuer (a meteorological service)."""

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=500, unique=True)
    active = models.BooleanField(_("active"), default=True)
    allow_private = models.BooleanField(_("inside the bureau's network"), default=False)
    etag = models.CharField(max_length=255, blank=True)
    last_modified = models.CharField(max_length=64, blank=True)
    polled_at = models.DateTimeField(_("polled at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("CAP feed")
        verbose_name_plural = _("CAP feeds")
        ordering = ["name"]

    def __str__(self):
        return self.name


class FeedEntry(models.Model):
    """An entry of a feed that was fetched (once): its id, the alert's identifier and what came of it."""

    feed = models.ForeignKey(CapFeed, on_delete=models.CASCADE, related_name="entries")
    entry_id = models.CharField(max_length=500)
    identifier = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=500, blank=True)
    fetched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "entry_id"], name="warnings_feed_entry_once")]

    def __str__(self):
        return self.entry_id
