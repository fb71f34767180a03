from django.urls import path

from citywatch.response import views

urlpatterns = [
    path("plans/", views.plan_list, name="response_plans"),
    path("plans/import/", views.plan_import, name="response_plan_import"),
    path("plans/export.xlsx", views.plan_export, name="response_plan_export"),
    path("plans/<int:pk>/", views.plan_detail, name="response_plan"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="response_plan_edit"),
    path("responses/", views.response_list, name="responses"),
    path("responses/start/", views.response_start, name="response_start"),
    path("responses/<int:pk>/", views.response_detail, name="response"),
    path("responses/<int:pk>/live/", views.response_live, name="response_live"),
    path("responses/<int:pk>/report.pdf", views.response_report, name="response_report"),
    path("responses/<int:pk>/level/", views.response_level, name="response_level"),
    path("responses/<int:pk>/end/", views.response_end, name="response_end"),
    path("responses/actions/<int:pk>/done/", views.action_done, name="response_action_done"),
    path("responses/proposals/<int:pk>/accept/", views.proposal_accept, name="response_proposal_accept"),
    path("responses/proposals/<int:pk>/dismiss/", views.proposal_dismiss, name="response_proposal_dismiss"),
]
