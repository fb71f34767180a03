from django.urls import path

from citywatch.warnings.views import cap, public

urlpatterns = [
    path("cap/alerts/<str:identifier>.xml", cap.alert, name="cap_alert"),
    path("cap/feed.atom", cap.feed, name="cap_feed"),
    path("public/", public.page, name="public"),
    path("public/warnings.json", public.data_json, name="public_json"),
]
