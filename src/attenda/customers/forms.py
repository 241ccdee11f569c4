"""Forms of the customer pages: finding, creating, editing and merging customers. The services check
the values; their errors come back to the fields they name."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import Agent
from attenda.core.pagination import Page
from attenda.customers import queries
from attenda.customers.identities import guess_kind
from attenda.customers.models import IdentityKind
from attenda.customers.services import IdentityClaim
from attenda.tickets.forms import AgentPageForm


def _languages(blank: str) -> list[tuple[str, str]]:
    return [("", blank), *settings.LANGUAGES]


class CustomerSearchForm(AgentPageForm):
    q = forms.CharField(
        label=_("Name, email address or phone number"), required=False, max_length=320
    )

    def results(self, *, agent: Agent, cursor: str | None) -> Page:
        """With text, the customers it names, best first (customers.queries.find_customers);
        without, every customer by name, a page at a time.
        Raises InvalidCursor for a cursor that was not made here."""
        text = self.cleaned_data["q"]
        if not text.strip():
            return queries.customer_page(cursor=cursor)
        return Page(items=queries.find_customers(agent, text), next_cursor=None)

    def new_customer_initial(self) -> dict[str, str]:
        """What was searched for, in the field of the new-customer form it belongs to."""
        text = self.cleaned_data.get("q", "")
        return {guess_kind(text) or "name": text} if text else {}


class NewCustomerForm(AgentPageForm):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.CharField(label=_("Email address"), max_length=320, required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=40, required=False)
    organization = forms.CharField(label=_("Organization"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=_languages(_("Not known")), required=False
    )
    country = forms.CharField(
        label=_("Country"), max_length=2, required=False, help_text=_("ISO 3166 code, such as PT.")
    )

    def claims(self) -> list[IdentityClaim]:
        return [
            IdentityClaim(kind=kind, value=self.cleaned_data[kind])
            for kind in (IdentityKind.EMAIL, IdentityKind.PHONE)
            if self.cleaned_data[kind].strip()
        ]


class CustomerEditForm(AgentPageForm):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=_languages(_("Not known")), required=False
    )
    country = forms.CharField(
        label=_("Country"), max_length=2, required=False, help_text=_("ISO 3166 code, such as PT.")
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class IdentityForm(AgentPageForm):
    kind = forms.ChoiceField(label=_("Kind of identity"), choices=IdentityKind.choices)
    value = forms.CharField(label=_("Address or number"), max_length=320, required=False)

    def claim(self) -> IdentityClaim:
        return IdentityClaim(kind=self.cleaned_data["kind"], value=self.cleaned_data["value"])


class MergeForm(AgentPageForm):
    absorbed = forms.IntegerField(
        label=_("Customer number of the duplicate"),
        min_value=1,
        help_text=_(
            "The duplicate's tickets and identities move to this customer; its record then points here."
        ),
    )


class StandingAgentForm(AgentPageForm):
    agent = forms.ModelChoiceField(
        label=_("Account owner"),
        queryset=Agent.objects.filter(is_active=True).order_by(
            "first_name", "last_name", "username"
        ),
        required=False,
        empty_label=_("The owner of their last ticket"),
        help_text=_("Gets this customer's new tickets when available; else their backup."),
    )
