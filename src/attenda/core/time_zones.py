"""The one time-zone picker of Attenda's forms (Preferences, business hours): the zones support
desks in Europe and their customers use, grouped by region and named by city, so typing the first
letters of a city jumps to it. Any other valid zone still validates, and an agent's current one is
always offered."""

import functools
import unicodedata
import zoneinfo

from babel.dates import get_timezone_location
from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import validate_time_zone

COMMON_ZONES = [
    (
        _("Europe"),
        [
            "Europe/Lisbon",
            "Europe/Madrid",
            "Europe/Warsaw",
            "Europe/Bucharest",
            "Europe/London",
            "Europe/Dublin",
            "Europe/Paris",
            "Europe/Brussels",
            "Europe/Amsterdam",
            "Europe/Luxembourg",
            "Europe/Berlin",
            "Europe/Zurich",
            "Europe/Vienna",
            "Europe/Rome",
            "Europe/Prague",
            "Europe/Bratislava",
            "Europe/Budapest",
            "Europe/Ljubljana",
            "Europe/Zagreb",
            "Europe/Belgrade",
            "Europe/Sofia",
            "Europe/Athens",
            "Europe/Chisinau",
            "Europe/Kyiv",
            "Europe/Vilnius",
            "Europe/Riga",
            "Europe/Tallinn",
            "Europe/Helsinki",
            "Europe/Stockholm",
            "Europe/Oslo",
            "Europe/Copenhagen",
            "Europe/Istanbul",
        ],
    ),
    (_("Atlantic islands"), ["Atlantic/Azores", "Atlantic/Madeira", "Atlantic/Canary"]),
    (
        _("Africa"),
        ["Africa/Casablanca", "Africa/Lagos", "Africa/Luanda", "Africa/Maputo", "Africa/Cairo"],
    ),
    (
        _("Americas"),
        [
            "America/Sao_Paulo",
            "America/Buenos_Aires",
            "America/Bogota",
            "America/Mexico_City",
            "America/New_York",
            "America/Chicago",
            "America/Denver",
            "America/Los_Angeles",
            "America/Toronto",
        ],
    ),
    (
        _("Asia and Pacific"),
        [
            "Asia/Dubai",
            "Asia/Kolkata",
            "Asia/Singapore",
            "Asia/Shanghai",
            "Asia/Tokyo",
            "Australia/Sydney",
        ],
    ),
    (_("Universal time"), ["UTC"]),
]


@functools.lru_cache(maxsize=2048)
def zone_label(zone: str, language: str = "en") -> str:
    """The zone's city in the reader's language, as CLDR names it: "Lisbon" for Europe/Lisbon in
    English, "Lisboa" in Portuguese, "Lizbona" in Polish."""
    try:
        return get_timezone_location(zone, locale=language.replace("-", "_"), return_city=True)
    except (LookupError, ValueError):
        return zone.rsplit("/", 1)[-1].replace("_", " ")


def _by_name(label: str) -> str:
    return unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().casefold()


def zone_choices(current: str = "") -> list:
    language = get_language() or "en"
    choices = [
        (
            str(region),
            sorted(
                ((zone, zone_label(zone, language)) for zone in zones),
                key=lambda choice: _by_name(choice[1]),
            ),
        )
        for region, zones in COMMON_ZONES
    ]
    listed = {zone for _region, zones in COMMON_ZONES for zone in zones}
    if current and current not in listed and current in zoneinfo.available_timezones():
        choices.append((str(_("Other")), [(current, zone_label(current, language))]))
    return choices


class TimeZoneField(forms.ChoiceField):
    """A select of common zones by region; a valid zone outside the list is accepted too, so an
    agent whose zone was set elsewhere keeps it."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Time zone"))
        kwargs.setdefault(
            "help_text", _("Type the first letters of a city to find it, such as Lisbon.")
        )
        super().__init__(choices=zone_choices, validators=[validate_time_zone], **kwargs)

    def valid_value(self, value) -> bool:
        return value in zoneinfo.available_timezones()

    def offer(self, current: str) -> None:
        """Adds the form's current zone when it is not a common one."""
        self.choices = zone_choices(current)
