"""Forms of the routing settings pages: a team's business calendar and the service-level policies."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import Agent
from attenda.core.time_zones import TimeZoneField
from attenda.routing.models import WEEKDAYS, ServiceLevelPolicy, TeamCalendar, parse_shifts
from attenda.tickets.models import Channel, Kind, Priority

DAY_NAMES = [
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
]


class CalendarForm(forms.Form):
    time_zone = TimeZoneField()
    country = forms.CharField(
        label=_("Public holidays of country"),
        max_length=2,
        required=False,
        help_text=_("ISO 3166 code, such as PT, ES, RO or PL; empty for none."),
    )
    subdivision = forms.CharField(
        label=_("and of region"),
        max_length=10,
        required=False,
        help_text=_("Optional, such as MD for Madrid."),
    )
    closed_days = forms.CharField(
        label=_("Extra closed days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Dates such as 2026-12-24, separated by commas or lines."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].offer(
            self.data.get("time_zone") or self.initial.get("time_zone", "")
        )
        for day in WEEKDAYS:
            self.fields[f"day_{day}"] = forms.CharField(
                label=DAY_NAMES[day],
                required=False,
                help_text=_("Shifts such as 09:00-13:00, 14:00-18:00; empty when closed."),
            )

    @staticmethod
    def initial_from(calendar: TeamCalendar | None) -> dict:
        if calendar is None:
            weekday = "09:00-13:00, 14:00-18:00"
            return {
                "time_zone": "Europe/Lisbon",
                **{f"day_{day}": weekday if day < 5 else "" for day in WEEKDAYS},
            }
        return {
            "time_zone": calendar.time_zone,
            "country": calendar.country,
            "subdivision": calendar.subdivision,
            "closed_days": ", ".join(calendar.closed_days),
            **{
                f"day_{day}": ", ".join(f"{start}-{end}" for start, end in shifts)
                for day, shifts in enumerate(calendar.week)
            },
        }

    def clean(self) -> dict:
        data = super().clean()
        for day in WEEKDAYS:
            try:
                parse_shifts(data.get(f"day_{day}", ""))
            except ValidationError as error:
                self.add_error(f"day_{day}", error)
        return data

    def clean_closed_days(self) -> list[date]:
        days = []
        for text in self.cleaned_data["closed_days"].replace(",", "\n").splitlines():
            if not text.strip():
                continue
            try:
                days.append(date.fromisoformat(text.strip()))
            except ValueError as error:
                raise ValidationError(
                    _("%(day)s is not a date like 2026-12-24.") % {"day": text.strip()}
                ) from error
        return days

    def week(self) -> list[str]:
        return [self.cleaned_data.get(f"day_{day}", "") for day in WEEKDAYS]


def _any(label) -> list[tuple[str, str]]:
    return [("", label)]


class PolicyForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=_any(_("Any kind")) + Kind.choices, required=False
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=_any(_("Any priority")) + Priority.choices,
        coerce=int,
        empty_value=None,
        required=False,
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=_any(_("Any channel")) + Channel.choices, required=False
    )

    class Meta:
        model = ServiceLevelPolicy
        fields = [
            "name",
            "position",
            "is_active",
            "kind",
            "priority",
            "channel",
            "tier",
            "team",
            "first_response_minutes",
            "next_response_minutes",
            "resolution_minutes",
            "business_time",
            "warn_percent",
            "notify_supervisors",
            "raise_priority",
            "reassign",
            "reassign_to",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reassign_to"].queryset = Agent.objects.filter(is_active=True).order_by(
            "username"
        )
        self.fields["team"].empty_label = _("Any team")
        self.fields["tier"].choices = _any(_("Any tier")) + self.fields["tier"].choices[1:]
