"""Webhooks: the message's JSON POSTed to an http(s) URL, signed with HMAC-SHA256.

Headers sent with every delivery::

    Content-Type: application/json
    X-CityWatch-Event: warning.issued             the message's kind
    X-CityWatch-Message: 42                        the message's id (the same on every retry: dedupe by it)
    X-CityWatch-Delivery: 77                       this delivery's id
    X-CityWatch-Timestamp: 1767225600              Unix seconds when this attempt was signed
    X-CityWatch-Signature: sha256=<hex>            HMAC-SHA256(secret, "<timestamp>." + raw body), lower hex

A receiver recomputes the HMAC over the timestamp, a dot and the raw body bytes with the subscription's
secret, compares in constant time, and refuses a timestamp far from its clock (replays); ``verify`` does
exactly that and ``citywatch webhook-receiver`` uses it.

2xx is delivered. 408, 429, 5xx, timeouts and refused connections are retried with back-off (a
``Retry-After`` is honoured); any other status, a redirect or an answer that is not HTTP is permanent: the
delivery is dead with the reason. At most ``RESPONSE_EXCERPT_BYTES`` of the answer are read.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import ssl
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citywatch.core.errors import Invalid
from citywatch.notify.transports.base import Outcome, Sender, Transport

SIGNATURE_HEADER = "X-CityWatch-Signature"
TIMESTAMP_HEADER = "X-CityWatch-Timestamp"
RESPONSE_EXCERPT_BYTES = 2048
MAX_URL_CHARS = 1000
RETRIED_STATUSES = frozenset({408, 429})
USER_AGENT = "CityWatch-Notify/1"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 with ``secret`` over ``<timestamp>.<body>``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance: float = 300,
    now: float | None = None,
) -> bool:
    """Whether ``signature`` is ``sign(secret, timestamp, body)`` and the timestamp is within
    ``tolerance`` seconds of ``now``."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature.strip())


def check_url(raw: str) -> str:
    """An http(s) URL with a host, or ``Invalid``."""
    url = raw.strip()
    if not url:
        raise Invalid(_("Give the webhook URL (http:// or https://)."))
    if len(url) > MAX_URL_CHARS:
        raise Invalid(_("The webhook URL is too long (at most %(n)s characters).") % {"n": MAX_URL_CHARS})
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise Invalid(_("The webhook URL may not contain spaces or control characters."))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Invalid(_("A webhook URL must start with http:// or https://."))
    if not parts.hostname:
        raise Invalid(_("The webhook URL has no host."))
    if parts.username or parts.password:
        raise Invalid(_("Put no user name or password in the webhook URL; the signature authenticates."))
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise Invalid(_("The webhook URL has a bad port.")) from None
    return url


def retry_after(value: str | None) -> float | None:
    if value and value.strip().isdigit() and len(value.strip()) < 7:
        return float(value.strip())
    return None


class WebhookSender(Sender):
    def __init__(self, connect_timeout: float, read_timeout: float):
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout

    def send(self, message, subscription, delivery) -> Outcome:
        body = json.dumps(message.envelope(), ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-CityWatch-Event": message.kind,
            "X-CityWatch-Message": str(message.pk),
            "X-CityWatch-Delivery": str(delivery.pk),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(subscription.secret, timestamp, body),
        }
        parts = urlsplit(subscription.target)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=self.connect_timeout, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.connect_timeout)
        try:
            return self._exchange(conn, path, body, headers)
        finally:
            conn.close()

    def _exchange(self, conn, path: str, body: bytes, headers: dict) -> Outcome:
        try:
            conn.connect()
        except TimeoutError:
            return Outcome.retry(_("connection timed out after %(s)s s") % {"s": self.connect_timeout})
        except ConnectionRefusedError:  # the commonest failure, said in words rather than "[Errno 111] …"
            return Outcome.retry(
                _("could not connect: nothing is listening at that address (connection refused)")
            )
        except OSError as exc:
            return Outcome.retry(_("could not connect: %(error)s") % {"error": exc})
        try:
            conn.sock.settimeout(self.read_timeout)
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
        except TimeoutError:
            return Outcome.retry(_("no answer within %(s)s s") % {"s": self.read_timeout})
        except http.client.RemoteDisconnected:
            return Outcome.retry(_("the endpoint closed the connection without answering"))
        except http.client.HTTPException as exc:
            return Outcome.give_up(_("the endpoint's answer is not HTTP: %(error)s") % {"error": repr(exc)})
        except OSError as exc:
            return Outcome.retry(_("connection failed: %(error)s") % {"error": exc})
        status = response.status
        try:
            excerpt = response.read(RESPONSE_EXCERPT_BYTES).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            excerpt = ""
        said = f"HTTP {status} {response.reason}".strip() + (f": {excerpt}" if excerpt.strip() else "")
        if 200 <= status < 300:
            return Outcome.sent(status)
        if status in RETRIED_STATUSES or 500 <= status < 600:
            return Outcome.retry(said, status, retry_after(response.getheader("Retry-After")))
        if 300 <= status < 400:
            location = response.getheader("Location", "")
            return Outcome.give_up(
                _("redirects are not followed (%(status)s to %(location)s); fix the URL")
                % {"status": status, "location": location[:200]},
                status,
            )
        return Outcome.give_up(said, status)


class WebhookTransport(Transport):
    key = "webhook"
    label = gettext_lazy("Webhook")
    signed = True

    def clean_target(self, raw: str) -> str:
        return check_url(raw)

    def open(self, worker_id: str) -> Sender:
        return WebhookSender(
            settings.CITYWATCH_NOTIFY_WEBHOOK_CONNECT_TIMEOUT, settings.CITYWATCH_NOTIFY_WEBHOOK_READ_TIMEOUT
        )
