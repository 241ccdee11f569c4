from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import validate_time_zone


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Interface language"), choices=settings.LANGUAGES)
    time_zone = forms.CharField(
        label=_("Time zone"), max_length=64, validators=[validate_time_zone]
    )
