"""Making, changing, switching off and deleting subscriptions. The page and the API call these, so both
accept and refuse exactly the same things with the same messages."""

from __future__ import annotations

import logging
import re
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch.core import access
from citywatch.core.errors import Conflict, Invalid
from citywatch.core.models import AdminArea
from citywatch.core.models.base import scope_of
from citywatch.notify import transports
from citywatch.notify.choices import CLAIMABLE, DeliveryStatus, Level
from citywatch.notify.models import Delivery, Subscription
from citywatch.notify.models.messages import HAZARD_PATTERN

log = logging.getLogger("citywatch.notify")

# An event kind, or a prefix ending in ".*" ("warning.*").
KIND_FILTER = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.\*")
MAX_FILTER_ITEMS = 50
MIN_SECRET_CHARS = 16
FIELDS = (
    "name",
    "transport",
    "target",
    "kinds",
    "hazards",
    "min_level",
    "area",
    "include_exercise",
    "public",
    "active",
)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _words(value) -> list[str]:
    """A list of strings from a list or from text separated by commas, semicolons or spaces."""
    if value is None:
        return []
    if isinstance(value, str):
        return [w for w in re.split(r"[,;\s]+", value.strip()) if w]
    if isinstance(value, list | tuple):
        return [str(w).strip() for w in value if str(w).strip()]
    raise TypeError


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def clean(user, data: dict, current: Subscription | None = None) -> dict:
    """The fields of a subscription from ``data`` (over ``current``'s values for a change), or ``Invalid``
    with every problem by field in ``details``."""
    errors: dict[str, str] = {}
    out: dict = {}
    get = (
        (lambda k, d=None: data.get(k, d))
        if current is None
        else (lambda k, d=None: data.get(k, _current(current, k)))
    )

    name = " ".join(str(get("name", "") or "").split())
    if not name or len(name) > 100:
        errors["name"] = _("Give a name of 1 to 100 characters.")
    out["name"] = name

    key = str(get("transport", "") or "")
    transport = transports.get(key)
    if current is not None and key != current.transport:
        errors["transport"] = _("The transport of a subscription cannot change; make a new subscription.")
    elif transport is None:
        errors["transport"] = _("Choose a transport: %(keys)s.") % {"keys": ", ".join(transports.TRANSPORTS)}
    out["transport"] = key

    target = str(get("target", "") or "")
    if transport is not None:
        try:
            out["target"] = transport.clean_target(target)
        except Invalid as exc:
            errors["target"] = str(exc)

    for field, pattern, label in (
        ("kinds", KIND_FILTER, _("event kinds")),
        ("hazards", re.compile(HAZARD_PATTERN), _("hazards")),
    ):
        try:
            items = list(dict.fromkeys(_words(get(field, []))))
        except TypeError:
            errors[field] = _("Give the %(label)s as a list.") % {"label": label}
            continue
        bad = [w for w in items if len(w) > 64 or not pattern.fullmatch(w)]
        if bad:
            errors[field] = _("Not valid %(label)s: %(values)s") % {
                "label": label,
                "values": ", ".join(w[:64] for w in bad[:5]),
            }
        elif len(items) > MAX_FILTER_ITEMS:
            errors[field] = _("At most %(n)s %(label)s.") % {"n": MAX_FILTER_ITEMS, "label": label}
        out[field] = items

    min_level = str(get("min_level", "") or "")
    if min_level not in ("", *Level.values):
        errors["min_level"] = _("The minimum level must be blue, yellow, orange or red.")
    out["min_level"] = min_level

    area_code = get("area")
    area_code = area_code.code if isinstance(area_code, AdminArea) else str(area_code or "").strip()
    scope = scope_of(user)
    area = None
    if area_code:
        area = (
            AdminArea.objects.within(user).filter(code=area_code[:12]).first()
            if area_code.isdigit()
            else None
        )
        if area is None:
            errors["area"] = _("No such area in your jurisdiction: %(code)s") % {"code": area_code[:20]}
    elif not scope.everything:
        errors["area"] = _("Choose an area in your jurisdiction (only city-wide users may leave it empty).")
    out["area"] = area

    for flag in ("include_exercise", "public", "active"):
        out[flag] = _flag(get(flag, flag == "active"))
    if out["public"] and out["include_exercise"]:
        errors["include_exercise"] = _("A public subscription never receives exercises.")

    if errors:
        raise Invalid(_("The subscription was not saved: please correct the fields named."), details=errors)
    return out


def _current(subscription: Subscription, field: str):
    if field == "area":
        return subscription.area
    return getattr(subscription, field)


def _check_secret(raw) -> str:
    secret = str(raw or "")
    if not (MIN_SECRET_CHARS <= len(secret) <= 128) or not secret.isprintable() or " " in secret:
        raise Invalid(
            _("The secret must be %(min)s to 128 printable characters without spaces.")
            % {"min": MIN_SECRET_CHARS},
            details={"secret": _("too short, too long or not printable")},
        )
    return secret


@transaction.atomic
def create_subscription(user, data: dict) -> tuple[Subscription, str]:
    """A new subscription and its signing secret (webhooks; '' otherwise), which is shown only now."""
    access.require(user, Subscription, "add")
    fields = clean(user, data)
    transport = transports.get(fields["transport"])
    secret = ""
    if transport.signed:
        secret = _check_secret(data["secret"]) if data.get("secret") else new_secret()
    elif data.get("secret"):
        raise Invalid(
            _("Only webhook subscriptions have a signing secret."), details={"secret": _("not used here")}
        )
    area = fields.pop("area")
    subscription = Subscription.objects.create(
        **fields, area=area, area_path=area.path if area else "", secret=secret, owner=user
    )
    log.info(
        "event=subscription.created subscription=%s transport=%s user=%s",
        subscription.pk,
        subscription.transport,
        user.username,
    )
    return subscription, secret


@transaction.atomic
def update_subscription(user, subscription: Subscription, data: dict) -> Subscription:
    """Change the fields given in ``data`` (the others keep their values). Switching it off makes its
    waiting deliveries dead (see ``set_active``)."""
    access.require(user, Subscription, "change")
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    fields = clean(user, data, current=locked)
    was_active = locked.active
    area = fields.pop("area")
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.area, locked.area_path = area, area.path if area else ""
    locked.save()
    if was_active and not locked.active:
        _abandon_waiting(locked, user)
    return locked


@transaction.atomic
def set_active(user, subscription: Subscription, active: bool) -> Subscription:
    """Switch a subscription on or off. Off: its pending and failed deliveries become dead (kept in the
    log; a person may retry them), so nothing old is sent when it is switched on again."""
    access.require(user, Subscription, "change")
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.active == active:
        return locked
    locked.active = active
    locked.save()
    if not active:
        _abandon_waiting(locked, user)
    return locked


def _abandon_waiting(subscription: Subscription, user) -> None:
    n = Delivery.objects.filter(subscription=subscription, status__in=CLAIMABLE).update(
        status=DeliveryStatus.DEAD,
        last_error=_("The subscription was switched off by %(user)s.") % {"user": user.display_name},
        claimed_by="",
        claimed_at=None,
    )
    log.info(
        "event=subscription.deactivated subscription=%s abandoned=%s user=%s",
        subscription.pk,
        n,
        user.username,
    )


@transaction.atomic
def rotate_secret(user, subscription: Subscription) -> str:
    """A new signing secret for a webhook subscription, shown only now; the old one stops working."""
    access.require(user, Subscription, "change")
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if not transports.get(locked.transport) or not transports.get(locked.transport).signed:
        raise Conflict(_("Only webhook subscriptions have a signing secret."))
    locked.secret = new_secret()
    locked.updated_at = timezone.now()
    locked.save(update_fields=["secret", "updated_at"])
    log.info("event=subscription.secret_rotated subscription=%s user=%s", locked.pk, user.username)
    return locked.secret


@transaction.atomic
def delete_subscription(user, subscription: Subscription) -> None:
    """Delete a subscription that never had a delivery; one with deliveries is switched off instead (the
    delivery log keeps what was sent where)."""
    access.require(user, Subscription, "delete")
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if Delivery.objects.filter(subscription=locked).exists():
        raise Conflict(
            _("This subscription has deliveries in the log; switch it off instead of deleting it.")
        )
    locked.delete()


__all__ = [
    "FIELDS",
    "clean",
    "create_subscription",
    "delete_subscription",
    "new_secret",
    "rotate_secret",
    "set_active",
    "update_subscription",
]
