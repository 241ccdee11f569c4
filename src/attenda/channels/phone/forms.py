"""Admins' forms: phone lines, voice menus with their options, blocked numbers."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attenda.channels.phone import numbers
from attenda.channels.phone.models import Action, MenuOption, PhoneLine, VoiceMenu


class PhoneLineForm(forms.ModelForm):
    class Meta:
        model = PhoneLine
        fields = ["number", "name", "team", "default_language"]

    def clean_number(self) -> str:
        number = numbers.e164(self.cleaned_data["number"])
        if number is None:
            raise ValidationError(
                _("%(value)s is not a phone number.") % {"value": self.cleaned_data["number"]}
            )
        return number


class VoiceMenuForm(forms.ModelForm):
    class Meta:
        model = VoiceMenu
        fields = [
            "language",
            "is_main",
            "title",
            "greeting",
            "greeting_audio",
            "closed_message",
            "when_closed",
        ]
        widgets = {
            "greeting": forms.Textarea(attrs={"rows": 3}),
            "closed_message": forms.Textarea(attrs={"rows": 2}),
        }


class MenuOptionForm(forms.ModelForm):
    class Meta:
        model = MenuOption
        fields = ["digit", "label", "action", "team", "kind", "submenu"]

    def __init__(self, *args, line=None, **kwargs):
        super().__init__(*args, **kwargs)
        if line is not None:
            self.fields["submenu"].queryset = VoiceMenu.objects.filter(line=line)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == Action.SUBMENU and not cleaned.get("submenu"):
            self.add_error("submenu", _("Choose the sub-menu this key opens."))
        if cleaned.get("action") == Action.KIND and not cleaned.get("kind"):
            self.add_error("kind", _("Choose the kind of matter."))
        return cleaned


MenuOptionFormSet = forms.inlineformset_factory(
    VoiceMenu, MenuOption, fk_name="menu", form=MenuOptionForm, extra=3, max_num=9, can_delete=True
)


class BlockedNumberForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Number"), max_length=32)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)
