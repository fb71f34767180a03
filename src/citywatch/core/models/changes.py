from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from citywatch.core.choices import ChangeAction, ChangeSource
from citywatch.core.models.base import AppendOnly, ReadOnlyError  # noqa: F401  (ReadOnlyError re-exported)


class ObjectChange(AppendOnly):
    """One create, update or delete of a domain object: who, when, and the object before and after."""

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        "core.User",
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user_name = models.CharField(_("user name"), max_length=150, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=ChangeSource.choices)
    request_id = models.CharField(max_length=36, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=16, choices=ChangeAction.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(_("object id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200)
    area_path = models.CharField(max_length=160, blank=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    append_only_label = "change log"

    jurisdiction_path = "area_path"

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("change log")
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"{self.get_action_display()} {self.object_repr}"

    def changed_fields(self) -> list[str]:
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [k for k in keys if before.get(k) != after.get(k)]

    def field_label(self, name: str) -> str:
        """The field's verbose name in the current language ("状态" for ``status``), else the name."""
        model = self.content_type.model_class() if self.content_type_id else None
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except Exception:  # a field since removed, or a key that is not a field (a geometry digest)
                return name
            label = getattr(field, "verbose_name", None)
            if label:
                return str(label)
        return name

    def changed_field_labels(self) -> list[str]:
        return [self.field_label(name) for name in self.changed_fields()]
