"""Pages of the core app. Every page reads through ``queries`` (jurisdiction applied)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from pydantic import ValidationError

from citywatch.api import error_response
from citywatch.core import actions, queries
from citywatch.core.choices import AreaLevel, Role
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


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every logged-in user changes their own password here (old password, then the new one twice,
    checked by AUTH_PASSWORD_VALIDATORS). Also where a user whose password someone else chose is sent
    until they have chosen their own. Other sessions of the user end; their API tokens are revoked
    (unless CITYWATCH_KEEP_TOKENS_ON_PASSWORD_CHANGE)."""

    template_name = "core/password_change.html"

    def form_valid(self, form):
        user = actions.set_own_password(form.user, form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password has been changed."))
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self):
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return landing_url(self.request.user)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "next": self.request.GET.get("next", "")}


class ResetLinkView(auth_views.PasswordResetConfirmView):
    """The page behind a reset link an administrator issued (``actions.issue_reset_link``): the user
    chooses a new password without the old one. The link works once (and not after a newer link, a
    login or a password change); the token leaves the address bar at once (Django's redirect)."""

    template_name = "core/password_reset.html"
    token_generator = actions.reset_link_tokens

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        actions.set_own_password(form.user, form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, _("Your password has been set. Log in with it."))
        return HttpResponseRedirect(reverse("login"))


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked login (``AXES_LOCKOUT_CALLABLE``): 429 with the cool-down."""
    from django.conf import settings

    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)


@login_not_required
def api_not_found(request):
    return error_response(404, "No such API endpoint.")


def _filters(schema, request):
    """A filter set from the query string; invalid values are dropped with a message instead of a 500."""
    raw = {k: v for k, v in request.GET.items() if k in schema.model_fields and v != ""}
    try:
        return schema(**raw), None
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e.get("loc"))
        return schema(), _("Ignored invalid filter values: %(fields)s") % {"fields": fields}


def _page(request, qs):
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    return Paginator(qs, PAGE_SIZE).get_page(number)


def map_page(request):
    return render(request, "core/map.html", {"levels": AreaLevel})


def area_list(request):
    filters, warning = _filters(AreaFilter, request)
    qs = filters.filter(queries.areas_for(request.user)).defer("boundary").order_by("code")
    return render(
        request,
        "core/area_list.html",
        {"page": _page(request, qs), "filters": filters, "warning": warning, "levels": AreaLevel.choices},
    )


def area_detail(request, code):
    area = queries.area_for(request.user, code)
    children = queries.areas_for(request.user).filter(parent=area).defer("boundary").order_by("code")
    changes = queries.changes_of(request.user, area)[:50]
    return render(request, "core/area_detail.html", {"area": area, "children": children, "changes": changes})


def change_list(request):
    filters, warning = _filters(ChangeFilter, request)
    qs = filters.filter(queries.changes_for(request.user))
    return render(
        request, "core/change_list.html", {"page": _page(request, qs), "filters": filters, "warning": warning}
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
