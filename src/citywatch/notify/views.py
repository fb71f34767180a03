"""Pages of the outbox: the delivery log (with each delivery's attempts and a retry button for dead ones)
and the subscriptions (list, new, edit, switch on/off). Reads go through ``queries`` and ``access``;
every change through ``actions``, as the API does."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from citywatch.core import access, pages
from citywatch.core.choices import AreaLevel
from citywatch.core.errors import ActionError, Invalid
from citywatch.core.models import AdminArea
from citywatch.core.models.base import scope_of
from citywatch.notify import actions, choices, queries, transports
from citywatch.notify.choices import DeliveryStatus, Level
from citywatch.notify.filters import DeliveryFilter, SubscriptionFilter
from citywatch.notify.models import Delivery, Subscription

SECRET_SESSION_KEY = "notify_new_secret"  # noqa: S105 - a session key, not a secret
FORM_AREA_LEVELS = (AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.STREET)


def delivery_list(request):
    access.require(request.user, Delivery, "view")
    listing = pages.listing(request, DeliveryFilter, queries.deliveries_for(request.user))
    return render(
        request,
        "notify/delivery_list.html",
        {
            "page": listing.page,
            "filters": listing.filters,
            "warning": listing.warning,
            "statuses": DeliveryStatus.choices,
            "transports": transports.choices(),
            "kind_choices": choices.kind_choices(),
        },
    )


def delivery_detail(request, pk):
    delivery = access.get_for(request.user, queries.deliveries_for(request.user), pk=pk)
    return render(
        request,
        "notify/delivery_detail.html",
        {
            "delivery": delivery,
            "message": delivery.message,
            "attempts": queries.attempts_of(delivery),
            "can_retry": delivery.status == DeliveryStatus.DEAD
            and access.can(request.user, Delivery, "change"),
            "transport_label": transports.label_of(delivery.transport),
        },
    )


@require_POST
def delivery_retry(request, pk):
    delivery = access.get_for(request.user, queries.deliveries_for(request.user), "change", pk=pk)
    try:
        actions.retry_delivery(request.user, delivery)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The delivery will be sent again shortly."))
    return redirect("notify_delivery", pk=delivery.pk)


def subscription_list(request):
    access.require(request.user, Subscription, "view")
    listing = pages.listing(request, SubscriptionFilter, queries.subscriptions_for(request.user))
    return render(
        request,
        "notify/subscription_list.html",
        {
            "page": listing.page,
            "filters": listing.filters,
            "warning": listing.warning,
            "transports": transports.choices(),
            "can_add": access.can(request.user, Subscription, "add"),
        },
    )


def _form_data(post) -> dict:
    data = {field: post.get(field, "") for field in ("name", "transport", "target")}
    # ticked boxes (or, as the API and older forms send them, one comma-separated text)
    data.update(kinds=", ".join(post.getlist("kinds")), hazards=", ".join(post.getlist("hazards")))
    data.update(
        min_level=post.get("min_level", ""),
        area=post.get("area", ""),
        include_exercise=bool(post.get("include_exercise")),
        public=bool(post.get("public")),
        active=bool(post.get("active")),
    )
    if post.get("secret"):
        data["secret"] = post["secret"]
    return data


def _split(text) -> list[str]:
    return [part.strip() for part in str(text or "").replace("\n", ",").split(",") if part.strip()]


def _form_context(request, values: dict, errors: dict | None = None, subscription=None) -> dict:
    areas = AdminArea.objects.within(request.user).filter(level__in=FORM_AREA_LEVELS).order_by("path")
    kinds, hazards = _split(values.get("kinds")), _split(values.get("hazards"))
    kind_choices = choices.kind_choices()
    hazard_names = choices.hazard_names()
    # a kind or hazard the subscription holds that no app names (set through the API) stays offered
    kind_choices += [(k, choices.kind_name(k)) for k in kinds if k not in dict(kind_choices)]
    hazard_choices = [*hazard_names.items()] + [
        (h, choices.hazard_name(h, hazard_names)) for h in hazards if h not in hazard_names
    ]
    values = {**values, "kind_list": kinds, "hazard_list": hazards}
    return {
        "kind_choices": kind_choices,
        "hazard_choices": hazard_choices,
        "values": values,
        "errors": errors or {},
        "subscription": subscription,
        "transports": transports.choices(),
        "signed_transports": [k for k, t in transports.TRANSPORTS.items() if t.signed],
        "levels": Level.choices,
        "areas": areas,
        "city_wide": scope_of(request.user).everything,
    }


def _values(subscription: Subscription) -> dict:
    return {
        "name": subscription.name,
        "transport": subscription.transport,
        "target": subscription.target,
        "kinds": ", ".join(subscription.kinds),
        "hazards": ", ".join(subscription.hazards),
        "min_level": subscription.min_level,
        "area": subscription.area.code if subscription.area_id else "",
        "include_exercise": subscription.include_exercise,
        "public": subscription.public,
        "active": subscription.active,
    }


def subscription_new(request):
    access.require(request.user, Subscription, "add")
    if request.method == "POST":
        data = _form_data(request.POST)
        try:
            subscription, secret = actions.create_subscription(request.user, data)
        except Invalid as exc:
            context = _form_context(request, data, exc.details if isinstance(exc.details, dict) else {})
            context["error"] = str(exc)
            return render(request, "notify/subscription_form.html", context, status=422)
        if secret:
            request.session[SECRET_SESSION_KEY] = {"pk": subscription.pk, "secret": secret}
        messages.success(request, _("The subscription was made."))
        return redirect("notify_subscription", pk=subscription.pk)
    home = getattr(request.user, "jurisdiction", None)
    values = {
        "transport": "webhook",
        "active": True,
        "area": "" if scope_of(request.user).everything or home is None else home.code,
    }
    return render(request, "notify/subscription_form.html", _form_context(request, values))


def subscription_detail(request, pk):
    subscription = access.get_for(request.user, queries.subscriptions_for(request.user), pk=pk)
    can_change = access.can(request.user, Subscription, "change")
    status = 200
    context = {}
    if request.method == "POST":
        subscription = access.get_for(request.user, queries.subscriptions_for(request.user), "change", pk=pk)
        data = _form_data(request.POST)
        data["transport"] = subscription.transport
        try:
            actions.update_subscription(request.user, subscription, data)
        except Invalid as exc:
            context = _form_context(
                request, data, exc.details if isinstance(exc.details, dict) else {}, subscription
            )
            context["error"] = str(exc)
            status = 422
        else:
            messages.success(request, _("The subscription was saved."))
            return redirect("notify_subscription", pk=subscription.pk)
    elif can_change:
        context = _form_context(request, _values(subscription), subscription=subscription)
    secret = None
    shown = request.session.get(SECRET_SESSION_KEY)
    if shown and shown.get("pk") == subscription.pk:
        secret = shown.get("secret")
        del request.session[SECRET_SESSION_KEY]
    recent = queries.deliveries_for(request.user).filter(subscription=subscription)[:20]
    context.update(
        subscription=subscription,
        can_change=can_change,
        secret=secret,
        recent=recent,
        transport_label=transports.label_of(subscription.transport),
    )
    return render(request, "notify/subscription_detail.html", context, status=status)


@require_POST
def subscription_active(request, pk):
    subscription = access.get_for(request.user, queries.subscriptions_for(request.user), "change", pk=pk)
    active = request.POST.get("active") == "1"
    actions.set_active(request.user, subscription, active)
    messages.success(request, _("The subscription is on.") if active else _("The subscription is off."))
    return redirect("notify_subscription", pk=subscription.pk)


@require_POST
def subscription_rotate(request, pk):
    subscription = access.get_for(request.user, queries.subscriptions_for(request.user), "change", pk=pk)
    try:
        secret = actions.rotate_secret(request.user, subscription)
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        request.session[SECRET_SESSION_KEY] = {"pk": subscription.pk, "secret": secret}
        messages.success(request, _("A new signing secret was made; the old one no longer works."))
    return redirect("notify_subscription", pk=subscription.pk)
