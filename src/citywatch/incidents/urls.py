from django.urls import path

from citywatch.incidents import events, views, views_duty

urlpatterns = [
    path("incidents/", views.incident_list, name="incidents"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/events", events.stream, name="incident_events"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
    path("duty/", views_duty.duty_page, name="duty"),
    path("duty/shifts/", views_duty.shift_create, name="duty_shift_create"),
    path("duty/handover/", views_duty.handover_add, name="duty_handover_add"),
    path("duty/shifts/<int:pk>/", views_duty.shift_page, name="duty_shift"),
    path("duty/shifts/<int:pk>/handover/", views_duty.shift_handover_add, name="duty_shift_handover"),
    path("m/dispatches/", views.my_dispatches, name="my_dispatches"),
]
