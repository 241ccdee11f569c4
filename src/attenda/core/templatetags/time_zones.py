"""A time zone on a page is its city in the reader's language, never an IANA code."""

from django import template
from django.utils.translation import get_language

from attenda.core.time_zones import zone_label

register = template.Library()


@register.filter
def zone_name(zone: str) -> str:
    return zone_label(zone, get_language() or "en") if zone else ""
