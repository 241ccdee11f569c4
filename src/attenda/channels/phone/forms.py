"""Admins' forms: phone lines, voice menus with their options, blocked numbers."""

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attenda.channels.phone import numbers
from attenda.channels.phone.models import Action, CtiEndpoint, MenuOption, PhoneLine, VoiceMenu


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


class CtiEndpointForm(forms.ModelForm):
    """A desk telephone system: its name, team, caller ids for outgoing calls (one route a line,
    "41* 41715880339000"), the country of its national numbers and Placetel's API token, which is
    never shown again: left empty, the saved one is kept."""

    routes = forms.CharField(
        label=gettext_lazy("Outgoing caller ids"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One a line: the number dialled (a trailing * matches every number it begins) and "
            "the caller id shown, such as “41* 41715880339000”."
        ),
    )
    placetel_api_token = forms.CharField(
        label=gettext_lazy("Placetel API token"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=gettext_lazy(
            "From Placetel's Web API menu; used to show the names of your SIP users. Leave empty "
            "to keep the saved token."
        ),
    )
    forget_placetel_token = forms.BooleanField(
        label=gettext_lazy("Forget the saved Placetel API token"), required=False
    )

    class Meta:
        model = CtiEndpoint
        fields = ["name", "enabled", "team", "default_caller_id", "region"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["routes"].initial = "\n".join(
            f"{route.get('dest', '')} {route.get('caller_id', '')}"
            for route in self.instance.routing_table
        )

    def clean_region(self) -> str:
        region = self.cleaned_data["region"].strip().upper()
        if region and region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValidationError(_("%(value)s is not a country code.") % {"value": region})
        return region

    def clean_routes(self) -> list[dict]:
        routes = []
        for line in self.cleaned_data["routes"].splitlines():
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise ValidationError(
                    _("Give the number dialled and the caller id on each line: %(line)s")
                    % {"line": line.strip()}
                )
            routes.append({"dest": parts[0], "caller_id": parts[1]})
        return routes

    def save(self, commit: bool = True) -> CtiEndpoint:
        endpoint = super().save(commit=False)
        endpoint.routing_table = self.cleaned_data["routes"]
        if self.cleaned_data["forget_placetel_token"]:
            endpoint.placetel_api_token = ""
        elif self.cleaned_data["placetel_api_token"]:
            endpoint.placetel_api_token = self.cleaned_data["placetel_api_token"].strip()
        if commit:
            endpoint.save()
        return endpoint
