from django.urls import path

from citywatch.resources import views

urlpatterns = [
    path("resources/", views.index, name="resources"),
    path("resources/stock/", views.stock_summary, name="stock"),
    path("resources/coverage/", views.coverage, name="coverage"),
    path("resources/depots/<int:pk>/movements/", views.stock_movement, name="stock_movement"),
    path("resources/shelters/<int:pk>/occupancy/", views.shelter_occupancy, name="shelter_occupancy"),
    path("resources/<slug:slug>/", views.record_list, name="resource_list"),
    path("resources/<slug:slug>/new/", views.record_edit, name="resource_new"),
    path("resources/<slug:slug>/export/", views.exchange_download, name="resource_export"),
    path("resources/<slug:slug>/import/", views.record_import, name="resource_import"),
    path("resources/<slug:slug>/<int:pk>/", views.record_detail, name="resource"),
    path("resources/<slug:slug>/<int:pk>/edit/", views.record_edit, name="resource_edit"),
    path("resources/<slug:slug>/<int:pk>/delete/", views.record_delete, name="resource_delete"),
]
