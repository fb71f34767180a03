from django.urls import path

from citywatch.core import views

urlpatterns = [
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/reset/<uidb64>/<token>/", views.ResetLinkView.as_view(), name="password_reset_confirm"),
    path("map/", views.map_page, name="map"),
    path("areas/", views.area_list, name="areas"),
    path("areas/<str:code>/", views.area_detail, name="area"),
    path("changes/", views.change_list, name="changes"),
    path("changes/<int:pk>/", views.change_detail, name="change"),
    path("basemap/style.json", views.basemap_style, name="basemap-style"),
    path(
        "basemap/tiles/<str:tileset>/<str:version>/<int:z>/<int:x>/<int:y>.pbf",
        views.basemap_tile,
        name="basemap-tile",
    ),
]
