"""The admins' forms: a chat widget's settings, and a chat limit for an agent or a team."""

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attenda.agents.models import Agent, Team
from attenda.channels.chat.models import ChatWidget


@dataclass(frozen=True)
class ChatWidgetSettings:
    name: str
    team: Team
    allowed_origins: str
    greeting: str
    is_active: bool


class ChatWidgetForm(forms.ModelForm):
    class Meta:
        model = ChatWidget
        fields = ["name", "team", "allowed_origins", "greeting", "is_active"]
        widgets = {"allowed_origins": forms.Textarea(attrs={"rows": 3})}

    def clean_allowed_origins(self) -> str:
        lines = [
            line.strip().rstrip("/") for line in self.cleaned_data["allowed_origins"].splitlines()
        ]
        lines = [line for line in lines if line]
        check = URLValidator(schemes=["http", "https"])
        for line in lines:
            try:
                check(line)
            except ValidationError as error:
                raise ValidationError(
                    _("%(origin)s is not an origin such as https://www.example.com.")
                    % {"origin": line}
                ) from error
            if line.count("/") != 2:
                raise ValidationError(
                    _("%(origin)s is not an origin such as https://www.example.com.")
                    % {"origin": line}
                )
        if not lines:
            raise ValidationError(_("Give at least one origin."))
        return "\n".join(lines)


class ChatLimitForm(forms.Form):
    agent = forms.ModelChoiceField(
        Agent.objects.filter(is_active=True).order_by("username"),
        required=False,
        label=gettext_lazy("Agent"),
    )
    team = forms.ModelChoiceField(Team.objects.all(), required=False, label=gettext_lazy("Team"))
    limit = forms.IntegerField(
        min_value=1, max_value=50, label=gettext_lazy("Chats at once"), initial=3
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if bool(cleaned.get("agent")) == bool(cleaned.get("team")):
            raise ValidationError(_("Choose either an agent or a team."))
        return cleaned
