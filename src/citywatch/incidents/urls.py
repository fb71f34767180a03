from django.urls import path

from citywatch.incidents import events
from citywatch.incidents.views import duty, incidents

urlpatterns = [
    path("incidents/", incidents.incident_list, name="incidents"),
    path("incidents/new/", incidents.incident_new, name="incident_new"),
    path("incidents/events", events.stream, name="incident_events"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="incident"),
    path("duty/", duty.duty_page, name="duty"),
    path("duty/panels/<str:name>/", duty.panel_fragment, name="duty_panel"),
    path("duty/shifts/", duty.shift_create, name="duty_shift_create"),
    path("duty/handover/", duty.handover_add, name="duty_handover_add"),
    path("duty/shifts/<int:pk>/", duty.shift_page, name="duty_shift"),
    path("duty/shifts/<int:pk>/handover/", duty.shift_handover_add, name="duty_shift_handover"),
    path("m/dispatches/", incidents.my_dispatches, name="my_dispatches"),
]
