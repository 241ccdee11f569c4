from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from attenda.core import audit_labels
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
    object_type = forms.ChoiceField(label=_("Kind of record"), required=False)
    object_id = forms.CharField(label=_("Record number"), max_length=40, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", _("Any")), *audit_labels.record_kinds()]
