"""``{% load notify_names %}``: event kinds and hazards in words (``notify.choices``), never their codes."""

from django import template

from citywatch.notify.choices import hazard_name, kind_name

register = template.Library()


@register.filter(name="kind_name")
def kind_name_filter(kind: str) -> str:
    return kind_name(kind)


@register.filter(name="hazard_name")
def hazard_name_filter(code: str) -> str:
    return hazard_name(code)
