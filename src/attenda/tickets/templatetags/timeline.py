"""The timeline's entries, written in Python (``tickets/entries.py``)."""

from django import template
from django.utils.safestring import SafeString

from attenda.tickets import entries

register = template.Library()


@register.simple_tag(takes_context=True)
def timeline_entries(context, items) -> SafeString:
    return entries.timeline_entries(context, items)
