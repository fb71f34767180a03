from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.gis.admin import GISModelAdmin
from django.utils.translation import gettext_lazy as _

from citywatch.core.models import AdminArea, ApiToken, ObjectChange, Organisation, User, WorkerHeartbeat


class RestrictedAdminMixin:
    """Data stewards see in the admin only what their jurisdiction allows."""

    def get_queryset(self, request):
        return self.model.objects.restrict(request.user, "view") if not request.user.is_superuser else super().get_queryset(request)


@admin.register(AdminArea)
class AdminAreaAdmin(RestrictedAdminMixin, GISModelAdmin):
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


@admin.register(User)
class UserAdmin(RestrictedAdminMixin, DjangoUserAdmin):
    list_display = ("username", "get_full_name", "role", "jurisdiction", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    raw_id_fields = ("jurisdiction", "organisation")
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("CityWatch"), {"fields": ("role", "jurisdiction", "organisation", "phone")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("key_id", "user", "name", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = ("key_id", "secret_hash", "created_at", "last_used_at")
    search_fields = ("user__username", "key_id", "name")

    def has_add_permission(self, request):
        return False  # tokens are created with `citywatch token create`, which shows the secret once


@admin.register(ObjectChange)
class ObjectChangeAdmin(RestrictedAdminMixin, admin.ModelAdmin):
    list_display = ("time", "user_name", "source", "action", "content_type", "object_repr")
    list_filter = ("action", "source", "content_type")
    search_fields = ("object_repr", "user_name", "object_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "beat_at", "hostname", "pid")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
