"""What the agent's pages show the same way everywhere: the inbox views of the sidebar, initials
avatars and short relative times with the exact moment beside them."""

from datetime import datetime

from django import template
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

from attenda.core import clock
from attenda.tickets.forms import INBOX_VIEW_LABELS
from attenda.tickets.queries import INBOX_VIEWS

register = template.Library()


@register.simple_tag
def sidebar_views(counts: dict | None = None) -> list[dict]:
    """The inbox views in the sidebar, each with its bounded count when the page has them."""
    counts = counts or {}
    return [
        {"view": view, "label": INBOX_VIEW_LABELS[view], "count": counts.get(view)}
        for view in INBOX_VIEWS
    ]


@register.filter
def initials(name: str) -> str:
    """Up to two letters of a person's name for their avatar: "Ana Silva" is "AS"."""
    words = [word for word in str(name).split() if word[:1].isalpha()]
    if not words:
        return str(name)[:1].upper()
    if len(words) == 1:
        return words[0][:1].upper()
    return (words[0][:1] + words[-1][:1]).upper()


def short_age(moment: datetime, now: datetime) -> str:
    """How long ago, as desks write it: "now", "5 min", "3 h", "2 d"; older than a month, the date."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return _("now")
    if seconds < 3600:
        return _("%(count)d min") % {"count": seconds // 60}
    if seconds < 86400:
        return _("%(count)d h") % {"count": seconds // 3600}
    if seconds < 30 * 86400:
        return _("%(count)d d") % {"count": seconds // 86400}
    return formats.date_format(template_localtime(moment), "SHORT_DATE_FORMAT")


def age_html(moment: datetime, now: datetime) -> str:
    """A ``<time>`` with the short age, and the exact local date and time on hover."""
    local = template_localtime(moment)
    exact = formats.date_format(local, "SHORT_DATETIME_FORMAT")
    return str(
        format_html(
            '<time datetime="{}" title="{}">{}</time>',
            local.isoformat(),
            exact,
            short_age(moment, now),
        )
    )


@register.filter
def age(moment: datetime | None) -> SafeString | str:
    if moment is None:
        return ""
    return format_html("{}", SafeString(age_html(moment, clock.now())))
