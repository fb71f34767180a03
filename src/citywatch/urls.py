from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.i18n import JavaScriptCatalog

from citywatch.api import api
from citywatch.core import views as core_views
from citywatch.health import healthz, livez

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", core_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("api/v1/", api.urls),
    re_path(r"^api/", core_views.api_not_found),
    path("admin/", admin.site.urls),
    path("", include("citywatch.core.urls")),
    path("", include("citywatch.resources.urls")),
    path("", include("citywatch.incidents.urls")),
    path("", include("citywatch.notify.urls")),
    path("", include("citywatch.monitoring.urls")),
    path("", include("citywatch.warnings.urls")),
    path("", include("citywatch.response.urls")),
]
