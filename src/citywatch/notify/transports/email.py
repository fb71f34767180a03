"""E-mail through Django's mail backend: SMTP in production (``CITYWATCH_EMAIL_*``), the console backend
when no SMTP host is configured. An address the server refuses is permanent; anything else is retried."""

from __future__ import annotations

import contextlib
import re
import smtplib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citywatch.core.errors import Invalid
from citywatch.notify.transports.base import Outcome, Sender, Transport

MAX_ADDRESSES = 20


def check_addresses(raw: str) -> str:
    """Comma-, semicolon- or space-separated addresses, checked and joined by ", "; or ``Invalid``."""
    addresses = [a for a in re.split(r"[,;\s]+", raw.strip()) if a]
    if not addresses:
        raise Invalid(_("Give at least one e-mail address."))
    if len(addresses) > MAX_ADDRESSES:
        raise Invalid(_("At most %(n)s e-mail addresses per subscription.") % {"n": MAX_ADDRESSES})
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise Invalid(_("%(address)s is not an e-mail address.") % {"address": address[:100]}) from None
    return ", ".join(dict.fromkeys(addresses))


def compose(message) -> tuple[str, str]:
    """Subject and text of the e-mail for ``message`` (in the active language)."""
    subject = message.subject
    if message.exercise:
        subject = _("[Exercise] %(subject)s") % {"subject": subject}
    facts = [
        _("Event: %(kind)s") % {"kind": message.kind},
        _("Time: %(time)s") % {"time": timezone.localtime(message.created_at).strftime("%Y-%m-%d %H:%M:%S")},
    ]
    if message.area_id:
        facts.append(_("Area: %(area)s") % {"area": message.area.name})
    body = "\n\n".join(part for part in (message.body, "\n".join(facts)) if part)
    return subject, body


class EmailSender(Sender):
    def __init__(self):
        self.connection = None

    def send(self, message, subscription, delivery) -> Outcome:
        subject, body = compose(message)
        to = [a.strip() for a in subscription.target.split(",") if a.strip()]
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
        email = EmailMessage(
            subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            to,
            connection=self.connection,
            headers={"X-CityWatch-Event": message.kind, "X-CityWatch-Message": str(message.pk)},
        )
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            return Outcome.give_up(_("the mail server refused the addresses: %(error)s") % {"error": exc})
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            return Outcome.retry(_("sending the e-mail failed: %(error)s") % {"error": exc})
        return Outcome.sent()

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.close()


class EmailTransport(Transport):
    key = "email"
    label = gettext_lazy("E-mail")

    def clean_target(self, raw: str) -> str:
        return check_addresses(raw)

    def open(self, worker_id: str) -> Sender:
        return EmailSender()
