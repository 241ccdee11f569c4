from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import Role, Team


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, such as the CRM integration."),
    )


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=100)


class AgentForm(forms.Form):
    """What an admin sets on an agent. Username and password only when the agent is created."""

    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages_spoken = forms.MultipleChoiceField(
        label=_("Languages spoken"),
        choices=settings.LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(
        label=_("Can log in and take tickets"), required=False, initial=True
    )


class NewAgentForm(AgentForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(
        label=_("First password"),
        widget=forms.PasswordInput(render_value=False),
        min_length=8,
        help_text=_("The agent can change it after logging in."),
    )
    field_order = [
        "username",
        "password",
        "full_name",
        "email",
        "role",
        "teams",
        "languages_spoken",
    ]

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password
