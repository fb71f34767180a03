from django.urls import path

from citywatch.incidents import events, views

urlpatterns = [
    path("incidents/", views.incident_list, name="incidents"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/events", events.stream, name="incident_events"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
    path("duty/", views.duty_page, name="duty"),
    path("m/dispatches/", views.my_dispatches, name="my_dispatches"),
]
