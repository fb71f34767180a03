from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm
from django.contrib.gis.admin import GISModelAdmin
from django.contrib.gis.forms.widgets import BaseGeometryWidget
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from citywatch.core import actions, queries
from citywatch.core.models import AdminArea, ApiToken, ObjectChange, Organisation, User, WorkerHeartbeat


class GeometryTextWidget(BaseGeometryWidget):
    """Geometries in the admin as text (WKT or GeoJSON). Django's map widget loads OpenLayers and OSM
    tiles from the internet and starts itself with an inline script: it cannot work on a closed network,
    and the Content-Security-Policy (no inline scripts, no third-party origins) refuses it anyway."""

    template_name = "core/widgets/geometry_text.html"


class RestrictedAdminMixin:
    """Data stewards see in the admin only what their jurisdiction allows; an object's "History" shows
    CityWatch's change log (with before and after) instead of Django's admin log."""

    def get_queryset(self, request):
        if request.user.is_superuser:
            return super().get_queryset(request)
        return self.model.objects.restrict(request.user, "view")

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change history: %s") % obj,
            "object": obj,
            "opts": self.model._meta,
            "changes": queries.changes_of(request.user, obj)[:200],
        }
        return TemplateResponse(request, "core/admin_history.html", context)


@admin.register(AdminArea)
class AdminAreaAdmin(RestrictedAdminMixin, GISModelAdmin):
    gis_widget = GeometryTextWidget
    list_display = ("code", "name", "level", "parent", "point_source")
    list_filter = ("level", "point_source")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    readonly_fields = ("path",)


@admin.register(Organisation)
class OrganisationAdmin(RestrictedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "area")
    list_filter = ("kind",)
    search_fields = ("name",)
    raw_id_fields = ("area", "parent")


class AdminChosenPassword:
    """A password an administrator types belongs to the administrator as much as to the user: the user
    must choose their own at the next login (``User.must_change_password``)."""

    def set_password_and_save(self, user, commit=True, **kwargs):
        if self.cleaned_data.get("set_usable_password", True):
            user.must_change_password = True
        return super().set_password_and_save(user, commit=commit, **kwargs)


class UserCreationForm(AdminChosenPassword, AdminUserCreationForm):
    pass


class PasswordChangeForm(AdminChosenPassword, AdminPasswordChangeForm):
    pass


@admin.register(User)
class UserAdmin(RestrictedAdminMixin, DjangoUserAdmin):
    list_display = ("username", "get_full_name", "role", "jurisdiction", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    raw_id_fields = ("jurisdiction", "organisation")
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("CityWatch"), {"fields": ("role", "jurisdiction", "organisation", "phone")}),
        (
            _("Password"),
            {"fields": ("must_change_password", "password_changed_at", "password_reset_issued_at")},
        ),
    )
    readonly_fields = ("password_changed_at", "password_reset_issued_at")
    add_form = UserCreationForm
    change_password_form = PasswordChangeForm

    def get_urls(self):
        return [
            path(
                "<id>/reset-link/",
                self.admin_site.admin_view(self.reset_link_view),
                name="core_user_reset_link",
            ),
            *super().get_urls(),
        ]

    def reset_link_view(self, request, id):
        """Issue a one-time password reset link for a user one may change (the same link as
        ``citywatch user reset-link USERNAME``); shown once, after a POST."""
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404
        may_change = User.objects.restrict(request.user, "change").filter(pk=user.pk).exists()
        if not may_change or (user.is_superuser and not request.user.is_superuser):
            raise PermissionDenied
        link = None
        if request.method == "POST":
            try:
                link = actions.absolute_url(actions.issue_reset_link(user), request)
            except actions.ActionError as exc:
                messages.error(request, str(exc))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Password reset link"),
            "opts": self.model._meta,
            "original": user,
            "link": link,
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }
        return TemplateResponse(request, "core/admin_reset_link.html", context)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("key_id", "user", "name", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = ("key_id", "secret_hash", "created_at", "last_used_at")
    search_fields = ("user__username", "key_id", "name")

    def has_add_permission(self, request):
        return False  # tokens are created with `citywatch token create`, which shows the secret once


class ReadOnlyAdmin(RestrictedAdminMixin, admin.ModelAdmin):
    """Rows the admin shows and never adds, changes or deletes (the actions own them, or they are
    append-only)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ObjectChange)
class ObjectChangeAdmin(ReadOnlyAdmin):
    list_display = ("time", "user_name", "source", "action", "content_type", "object_repr")
    list_filter = ("action", "source", "content_type")
    search_fields = ("object_repr", "user_name", "object_id")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "beat_at", "hostname", "pid")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
