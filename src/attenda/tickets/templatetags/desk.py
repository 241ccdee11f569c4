"""What the agent's pages show the same way everywhere: the inbox views of the sidebar, initials
avatars and short relative times with the exact moment beside them."""

import html
from datetime import datetime
from functools import lru_cache

from django import template
from django.conf import settings
from django.utils import formats, timezone
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
    return Ages(now).short(moment)


def age_html(moment: datetime, now: datetime) -> str:
    """A ``<time>`` with the short age, and the exact local date and time on hover."""
    return Ages(now).html(moment)


class Ages:
    """``short_age`` and ``age_html`` for the many moments of one page, with the language's words
    and formats and the time zone looked up once rather than for every moment: the inbox writes
    fifty of them a page."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.zone = timezone.get_current_timezone() if settings.USE_TZ else None
        self.just_now = _("now")
        self.minutes = _("%(count)d min")
        self.hours = _("%(count)d h")
        self.days = _("%(count)d d")
        self.datetime_format = formats.get_format("SHORT_DATETIME_FORMAT")
        self.datetime_numeric = _numeric_template(self.datetime_format)
        self.date_format = formats.get_format("SHORT_DATE_FORMAT")
        self.date_numeric = _numeric_template(self.date_format)

    def local(self, moment: datetime) -> datetime:
        """As ``template_localtime``: an aware moment in the current time zone."""
        if self.zone is None or moment.tzinfo is None:
            return template_localtime(moment)
        return moment.astimezone(self.zone)

    def short(self, moment: datetime) -> str:
        seconds = max(0, int((self.now - moment).total_seconds()))
        if seconds < 60:
            return self.just_now
        if seconds < 3600:
            return self.minutes % {"count": seconds // 60}
        if seconds < 86400:
            return self.hours % {"count": seconds // 3600}
        if seconds < 30 * 86400:
            return self.days % {"count": seconds // 86400}
        return _filled(self.local(moment), self.date_format, self.date_numeric)

    def html(self, moment: datetime) -> str:
        local = self.local(moment)
        exact = _filled(local, self.datetime_format, self.datetime_numeric)
        return (
            f'<time datetime="{local.isoformat()}" title="{html.escape(exact)}">'
            f"{html.escape(self.short(moment))}</time>"
        )


def local_format(local: datetime, setting: str) -> str:
    """``local`` in the current locale's format ``setting`` ("SHORT_DATETIME_FORMAT"), as Django's
    ``date_format`` writes it. The inbox writes a hundred of them a page: the all-numeric formats
    every locale here uses are filled in by one ``str.format``, a tenth of the general formatter's
    time; any other format goes to that formatter."""
    format_string = formats.get_format(setting)
    return _filled(local, format_string, _numeric_template(format_string))


def _filled(local: datetime, format_string: str, numeric: str | None) -> str:
    if numeric is None:
        return formats.date_format(local, format_string)
    return numeric.format(
        day=local.day,
        month=local.month,
        year=local.year,
        short_year=local.year % 100,
        hour=local.hour,
        minute=local.minute,
        second=local.second,
    )


# Django's date format characters that are numbers, as ``str.format`` fields.
NUMERIC_FIELDS = {
    "d": "{day:02d}",
    "j": "{day}",
    "m": "{month:02d}",
    "n": "{month}",
    "Y": "{year}",
    "y": "{short_year:02d}",
    "H": "{hour:02d}",
    "G": "{hour}",
    "i": "{minute:02d}",
    "s": "{second:02d}",
}


@lru_cache(maxsize=64)
def _numeric_template(format_string: str) -> str | None:
    """``format_string`` (Django's date format syntax) as a ``str.format`` template, or None when it
    holds anything but numbers and punctuation (month names, a.m./p.m.)."""
    parts = []
    characters = iter(format_string)
    for character in characters:
        if character == "\\":
            literal = next(characters, "")
        elif character in NUMERIC_FIELDS:
            parts.append(NUMERIC_FIELDS[character])
            continue
        elif character.isalpha():
            return None
        else:
            literal = character
        parts.append(literal.replace("{", "{{").replace("}", "}}"))
    return "".join(parts)


@register.filter
def age(moment: datetime | None) -> SafeString | str:
    if moment is None:
        return ""
    return SafeString(age_html(moment, clock.now()))
