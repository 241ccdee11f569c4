from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import validate_time_zone


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Interface language"), choices=settings.LANGUAGES)
    time_zone = forms.CharField(
        label=_("Time zone"), max_length=64, validators=[validate_time_zone]
    )


class AuditFilterForm(forms.Form):
    object_type = forms.CharField(
        label=_("Kind of record"),
        max_length=40,
        required=False,
        help_text=_("Such as tickets.ticket."),
    )
    object_id = forms.CharField(label=_("Record number"), max_length=40, required=False)
