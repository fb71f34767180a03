"""Read-mostly admin for data stewards: state changes go through the API and pages (actions), so the
lifecycle, dispatch and supply fields are read-only here."""

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from citywatch.core.admin import GeometryTextWidget, ReadOnlyAdmin, RestrictedAdminMixin
from citywatch.incidents.models import Dispatch, ExpertSummons, Incident, IncidentLog, SupplyRequest


@admin.register(Incident)
class IncidentAdmin(RestrictedAdminMixin, GISModelAdmin):
    gis_widget = GeometryTextWidget
    list_display = ("title", "category", "type", "severity", "status", "exercise", "area", "reported_at")
    list_filter = ("status", "category", "severity", "exercise")
    search_fields = ("title",)
    raw_id_fields = ("area",)
    readonly_fields = (
        "status",
        "version",
        "reported_at",
        "verified_at",
        "responding_at",
        "stabilised_at",
        "closed_at",
        "cancelled_at",
    )


@admin.register(Dispatch)
class DispatchAdmin(RestrictedAdminMixin, admin.ModelAdmin):
    list_display = ("incident", "team", "status")
    list_filter = ("status",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ExpertSummons)
class ExpertSummonsAdmin(RestrictedAdminMixin, admin.ModelAdmin):
    list_display = ("incident", "expert", "status")
    list_filter = ("status",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SupplyRequest)
class SupplyRequestAdmin(RestrictedAdminMixin, admin.ModelAdmin):
    list_display = ("incident", "depot", "item", "status")
    list_filter = ("status",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IncidentLog)
class IncidentLogAdmin(ReadOnlyAdmin):
    list_display = ("time", "incident", "kind", "author", "text")
    list_filter = ("kind",)
