from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext, gettext_noop
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

    def _field(self, name: str):
        model = self.content_type.model_class() if self.content_type_id else None
        if model is None:
            return None
        try:
            return model._meta.get_field(name)
        except Exception:  # a field since removed, or a key that is not a field (a geometry digest)
            return None

    def field_label(self, name: str) -> str:
        """The field's verbose name in the current language ("状态" for ``status``), else the name.
        Fields declared without one get Django's ("accepted at"), translated through ``FIELD_NAMES``."""
        field = self._field(name)
        label = getattr(field, "verbose_name", None)
        return gettext(str(label)) if label else name

    def value_label(self, name: str, value):
        """A logged value as people read it: a choice's label ("出发途中" for ``en_route``)."""
        field = self._field(name)
        choices = dict(getattr(field, "flatchoices", None) or ())
        if isinstance(value, str) and value in choices:
            return str(choices[value])
        return value

    def changed_field_labels(self) -> list[str]:
        return [self.field_label(name) for name in self.changed_fields()]


# The verbose names Django makes up for fields declared without one, so that makemessages finds them and
# the change log pages can show them translated (``ObjectChange.field_label``).
FIELD_NAMES = (
    gettext_noop("created at"),
    gettext_noop("updated at"),
    gettext_noop("path"),
    gettext_noop("area path"),
    gettext_noop("content type"),
    gettext_noop("request id"),
    gettext_noop("key id"),
    gettext_noop("last used at"),
    gettext_noop("revoked at"),
    gettext_noop("secret hash"),
    gettext_noop("user"),
    gettext_noop("incident"),
    gettext_noop("owner"),
    gettext_noop("accepted at"),
    gettext_noop("assigned to"),
    gettext_noop("declined at"),
    gettext_noop("en route at"),
    gettext_noop("eta method"),
    gettext_noop("on scene at"),
    gettext_noop("released at"),
    gettext_noop("requested by"),
    gettext_noop("team"),
    gettext_noop("author"),
    gettext_noop("shift"),
    gettext_noop("reported by"),
    gettext_noop("established by"),
    gettext_noop("leader"),
    gettext_noop("created by"),
    gettext_noop("issued by"),
    gettext_noop("expert"),
    gettext_noop("approved at"),
    gettext_noop("cancelled at"),
    gettext_noop("depot"),
    gettext_noop("item"),
    gettext_noop("quantity approved"),
    gettext_noop("quantity received"),
    gettext_noop("quantity requested"),
    gettext_noop("quantity shipped"),
    gettext_noop("received at"),
    gettext_noop("rejected at"),
    gettext_noop("requested at"),
    gettext_noop("shipped at"),
    gettext_noop("counterpart"),
    gettext_noop("quantity"),
    gettext_noop("occupancy"),
    gettext_noop("shelter"),
    gettext_noop("status"),
    gettext_noop("time"),
)
