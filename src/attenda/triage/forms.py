"""Forms of triage's pages: they parse and label input; the services decide what is allowed."""

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from attenda.core import clock
from attenda.tickets.forms import AgentPageForm, PlainSelect
from attenda.tickets.models import Kind
from attenda.triage.models import LANGUAGE_CHOICES


class ThresholdForm(AgentPageForm):
    threshold = forms.FloatField(
        label=_("Apply suggestions automatically above this confidence"),
        min_value=0.5,
        max_value=1,
        help_text=_(
            "Between 0.5 and 1, such as 0.9; 1 applies none. Up to it, a suggestion waits for an"
            " agent."
        ),
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )


class KindRuleForm(AgentPageForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, widget=PlainSelect)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES, widget=PlainSelect)
    keywords = forms.CharField(
        label=_("Keywords"),
        help_text=_(
            "One word or phrase a line; they replace Attenda's own for this kind and language."
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    weight = forms.FloatField(label=_("Weight"), min_value=0.1, max_value=10, initial=1.0)


class ResetRuleForm(AgentPageForm):
    kind = forms.ChoiceField(choices=Kind.choices)
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES)


class PeriodForm(AgentPageForm):
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Included."),
    )

    def period(self) -> tuple:
        """The dates asked for, the last 30 days by default."""
        today = clock.now().date()
        data = self.cleaned_data if self.is_valid() else {}
        until = data.get("until") or today
        since = data.get("since") or until - timedelta(days=30)
        return since, until
