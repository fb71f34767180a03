from django.urls import path  # noqa: F401  (the pages' routes are added here)

urlpatterns: list = []
