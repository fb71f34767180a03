"""``{% load notify_names %}``: event kinds and hazards in words (``notify.choices``), never their codes;
a delivery's error without the internal id of the worker that wrote it."""

import contextlib
import re
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch.notify.choices import hazard_name, kind_name

register = template.Library()


@register.filter(name="kind_name")
def kind_name_filter(kind: str) -> str:
    return kind_name(kind)


@register.filter(name="hazard_name")
def hazard_name_filter(code: str) -> str:
    return hazard_name(code)


# A claim taken back from a stopped worker was written, before, with the worker's id (host:pid:token) in
# it, in either language: read as today's words, without the id.
_OLD_RECLAIM = re.compile(
    r"^(?:worker \S+ stopped while sending \(claimed at (?P<en>[^)]+)\)"
    r"|投递进程 \S+ 在发送中途停止（认领于 (?P<zh>[^）]+)）)$"
)


@register.filter(name="delivery_error")
def delivery_error(text: str) -> str:
    match = _OLD_RECLAIM.match(text or "")
    if not match:
        return text
    when = match["en"] or match["zh"]
    with contextlib.suppress(ValueError):
        when = timezone.localtime(datetime.fromisoformat(when)).strftime("%Y-%m-%d %H:%M:%S")
    return _("sending was cut off: the delivery process stopped mid-send (started %(time)s)") % {"time": when}
