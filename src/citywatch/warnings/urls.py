from django.urls import path

from citywatch.warnings.views import cap, pages, public

urlpatterns = [
    path("cap/alerts/<str:identifier>.xml", cap.alert, name="cap_alert"),
    path("cap/feed.atom", cap.feed, name="cap_feed"),
    path("public/", public.page, name="public"),
    path("public/warnings.json", public.data_json, name="public_json"),
    path("warnings/", pages.warning_list, name="warnings"),
    path("warnings/new/", pages.warning_new, name="warning_new"),
    path("warnings/import/", pages.cap_upload, name="warning_import"),
    path("warnings/<int:pk>/", pages.warning_detail, name="warning"),
    path("warnings/<int:pk>/edit/", pages.warning_edit, name="warning_edit"),
    path("warnings/<int:pk>/step/", pages.warning_step, name="warning_step"),
    path("warnings/proposals/<int:pk>/draft/", pages.proposal_draft, name="warning_proposal_draft"),
    path("warnings/proposals/<int:pk>/dismiss/", pages.proposal_dismiss, name="warning_proposal_dismiss"),
]
