"""Forms of the office settings, the kiosk and the counter."""

from datetime import time

from django import forms
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import Team
from attenda.channels.counter.models import Counter, Office, Service
from attenda.routing.forms import CalendarForm
from attenda.routing.models import WEEKDAYS, parse_shifts


class OfficeForm(CalendarForm):
    """An office's name and team, and its hours as a business calendar (the routing form's
    fields)."""

    name = forms.CharField(label=_("Name"), max_length=100)
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=None,
        required=False,
        help_text=_("The team that gets the tickets of visits served here."),
    )
    notify_when_ahead = forms.IntegerField(
        label=_("Tell visitors when this many are ahead"), min_value=0, max_value=50, initial=3
    )
    field_order = ["name", "team", "notify_when_ahead", "time_zone"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.order_fields(self.field_order)

    @staticmethod
    def initial_for(office: Office | None) -> dict:
        if office is None or office.pk is None:
            return {**CalendarForm.initial_from(None), "notify_when_ahead": 3}
        return {
            "name": office.name,
            "team": office.team_id,
            "notify_when_ahead": office.notify_when_ahead,
            "time_zone": office.time_zone,
            "country": office.country,
            "subdivision": office.subdivision,
            "closed_days": ", ".join(office.closed_days),
            **{
                f"day_{day}": ", ".join(f"{start}-{end}" for start, end in shifts)
                for day, shifts in enumerate(office.week)
            },
        }

    def fill(self, office: Office) -> Office:
        data = self.cleaned_data
        office.name = data["name"]
        office.team = data["team"]
        office.notify_when_ahead = data["notify_when_ahead"]
        office.time_zone = data["time_zone"]
        office.country = data["country"].upper()
        office.subdivision = data["subdivision"]
        office.closed_days = [day.isoformat() for day in data["closed_days"]]
        office.week = [
            [
                [
                    shift.start.strftime("%H:%M"),
                    "24:00" if shift.end == time(0) else shift.end.strftime("%H:%M"),
                ]
                for shift in parse_shifts(data.get(f"day_{day}", ""))
            ]
            for day in WEEKDAYS
        ]
        return office


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = ["name", "letter", "priority", "is_active"]


class CounterForm(forms.ModelForm):
    class Meta:
        model = Counter
        fields = ["name", "is_active"]


class ContactForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label=_("or email address"),
        max_length=320,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class TransferForm(forms.Form):
    to_service = forms.ModelChoiceField(label=_("To service"), queryset=Service.objects.none())
    note = forms.CharField(
        label=_("Hand-off note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the next counter must know first."),
    )

    def __init__(self, *args, office: Office, exclude: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_service"].queryset = office.services.filter(is_active=True).exclude(
            pk=exclude
        )


class FinishForm(forms.Form):
    customer = forms.TypedChoiceField(
        label=_("Customer record"), coerce=int, required=False, empty_value=None
    )
    name = forms.CharField(
        label=_("Name of a new customer"),
        max_length=200,
        required=False,
        help_text=_("When none of the records above is the visitor."),
    )
    ticket = forms.TypedChoiceField(label=_("Ticket"), coerce=int, required=False, empty_value=None)
    body = forms.CharField(
        label=_("What the visitor came for and what was done"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    solved = forms.BooleanField(label=_("Solved at the counter"), required=False)

    def __init__(self, *args, customers=(), tickets=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [("", _("A new customer record"))] + [
            (customer.pk, str(customer)) for customer in customers
        ]
        self.fields["ticket"].choices = [("", _("A new ticket"))] + [
            (ticket.pk, f"#{ticket.pk} {ticket.subject}") for ticket in tickets
        ]
