from django.urls import path, re_path

from citywatch.notify import events, views

# Ids of at most 18 digits (they fit a 64-bit integer; longer ones are simply not found).
PK = r"(?P<pk>[0-9]{1,18})"

urlpatterns = [
    path("events/", events.stream, name="events"),
    path("notify/deliveries/", views.delivery_list, name="notify_deliveries"),
    re_path(rf"^notify/deliveries/{PK}/$", views.delivery_detail, name="notify_delivery"),
    re_path(rf"^notify/deliveries/{PK}/retry/$", views.delivery_retry, name="notify_delivery_retry"),
    path("notify/subscriptions/", views.subscription_list, name="notify_subscriptions"),
    path("notify/subscriptions/new/", views.subscription_new, name="notify_subscription_new"),
    re_path(rf"^notify/subscriptions/{PK}/$", views.subscription_detail, name="notify_subscription"),
    re_path(
        rf"^notify/subscriptions/{PK}/active/$", views.subscription_active, name="notify_subscription_active"
    ),
    re_path(
        rf"^notify/subscriptions/{PK}/secret/$", views.subscription_rotate, name="notify_subscription_rotate"
    ),
]
