"""Relative times with the exact moment beside them: the inbox fills the locale's numeric formats
itself, and must write exactly what Django's formatter writes, in every language."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import formats, translation

from attenda.tickets.templatetags.desk import age_html, local_format

MOMENTS = [
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(1999, 10, 9, 12, 0, tzinfo=UTC),
]


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
@pytest.mark.parametrize(
    "setting", ["SHORT_DATETIME_FORMAT", "SHORT_DATE_FORMAT", "DATETIME_FORMAT", "DATE_FORMAT"]
)
def test_each_locale_format_is_written_as_django_writes_it(language, setting):
    with translation.override(language):
        for moment in MOMENTS:
            assert local_format(moment, setting) == formats.date_format(moment, setting)


def test_the_age_says_how_long_ago_and_the_exact_time_on_hover(settings):
    settings.TIME_ZONE = "Europe/Lisbon"
    now = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)

    with translation.override("pt"):
        recent = age_html(now - timedelta(minutes=5), now)
        old = age_html(datetime(2026, 3, 4, 9, 30, tzinfo=UTC), now)

    assert recent == (
        '<time datetime="2026-07-01T12:55:00+01:00" title="01/07/2026 12:55">5 min</time>'
    )
    assert (
        old
        == '<time datetime="2026-03-04T09:30:00+00:00" title="04/03/2026 09:30">04/03/2026</time>'
    )
