"""Pages of the core app. Every page reads through ``queries`` (jurisdiction applied)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from citywatch.core import pages, queries
from citywatch.core.choices import AreaLevel, Role
from citywatch.core.errors import error_response
from citywatch.core.filters import AreaFilter, ChangeFilter

PAGE_SIZE = 50


def landing_url(user) -> str:
    """Where a user starts: a rescue team leader on their orders (a phone page), everyone else on the map."""
    if getattr(user, "role", "") == Role.TEAM_LEADER:
        return reverse("my_dispatches")
    return reverse("map")


def home(request):
    return redirect(landing_url(request.user))


class LoginView(auth_views.LoginView):
    """The login page; after it, a safe ``next`` wins, else the user's landing page (``landing_url``)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return landing_url(self.request.user)


@login_not_required
def api_not_found(request):
    return error_response(404, "No such API endpoint.")


def map_page(request):
    return render(request, "core/map.html", {"levels": AreaLevel})


def area_list(request):
    listing = pages.listing(
        request, AreaFilter, queries.areas_for(request.user).defer("boundary").order_by("code")
    )
    return render(
        request,
        "core/area_list.html",
        {
            "page": listing.page,
            "filters": listing.filters,
            "warning": listing.warning,
            "levels": AreaLevel.choices,
        },
    )


def area_detail(request, code):
    area = queries.area_for(request.user, code)
    children = queries.areas_for(request.user).filter(parent=area).defer("boundary").order_by("code")
    changes = queries.changes_of(request.user, area)[:50]
    return render(request, "core/area_detail.html", {"area": area, "children": children, "changes": changes})


def change_list(request):
    listing = pages.listing(request, ChangeFilter, queries.changes_for(request.user))
    return render(
        request,
        "core/change_list.html",
        {"page": listing.page, "filters": listing.filters, "warning": listing.warning},
    )


def change_detail(request, pk):
    change = queries.changes_for(request.user).filter(pk=pk).first()
    if change is None:
        raise Http404
    before, after = change.before or {}, change.after or {}
    rows = [
        (
            change.field_label(key),
            change.value_label(key, before.get(key)),
            change.value_label(key, after.get(key)),
            before.get(key) != after.get(key),
        )
        for key in sorted(set(before) | set(after))
    ]
    return render(request, "core/change_detail.html", {"change": change, "rows": rows})
