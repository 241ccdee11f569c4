from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from attenda.core.time_zones import TimeZoneField


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Interface language"), choices=settings.LANGUAGES)
    time_zone = TimeZoneField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].offer(
            self.data.get("time_zone") or self.initial.get("time_zone", "")
        )


class AuditFilterForm(forms.Form):
    object_type = forms.CharField(
        label=_("Kind of record"),
        max_length=40,
        required=False,
        help_text=_("Such as tickets.ticket (a ticket) or agents.agent (an agent)."),
    )
    object_id = forms.CharField(label=_("Record number"), max_length=40, required=False)
