"""Forms of the settings pages about agents and teams; the services decide what is allowed."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from attenda.agents.models import Agent, AgentStatus, AssignmentMode, Role, Skill, Team
from attenda.tickets.forms import AgentPageForm


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, such as the CRM integration."),
    )


def checkboxes(label: str, choices, help_text: str = "") -> forms.MultipleChoiceField:
    """A list to tick from, none required: languages and skills of agents and teams."""
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
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
    languages_spoken = checkboxes(_("Languages spoken"), settings.LANGUAGES)
    is_active = forms.BooleanField(
        label=_("Can log in and take tickets"), required=False, initial=True
    )


class NewAgentForm(AgentForm):
    """The agent chooses their own password from the invitation mailed to them."""

    username = forms.CharField(label=_("Username"), max_length=150)
    field_order = [
        "username",
        "full_name",
        "email",
        "role",
        "teams",
        "languages_spoken",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = _(
            "An invitation to choose a password is mailed here; its link works once, within "
            "%(hours)d hours. The agent can change the password later under Password."
        ) % {"hours": settings.INVITATION_TIMEOUT // 3600}


class StatusForm(AgentPageForm):
    """The workspace header's status switch."""

    status = forms.ChoiceField(label=_("My status"), choices=AgentStatus.choices)


class AvailabilityForm(AgentPageForm):
    """Status, a planned absence and the backup who stands in; skills only for supervisors."""

    status = forms.ChoiceField(label=_("Status"), choices=AgentStatus.choices)
    absent_from = forms.DateTimeField(
        label=_("Absent from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    absent_until = forms.DateTimeField(
        label=_("Absent until"),
        required=False,
        help_text=_("While absent, the customers whose agent you are go to your backup."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    backup = forms.ModelChoiceField(
        label=_("Backup"),
        queryset=Agent.objects.none(),
        required=False,
        empty_label=_("Nobody"),
    )
    skills = checkboxes(_("Skills"), Skill.choices)

    def __init__(self, *args, agent: Agent, sets_skills: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["backup"].queryset = (
            Agent.objects.filter(is_active=True, teams__in=agent.team_ids())
            .exclude(pk=agent.pk)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        if not sets_skills:
            del self.fields["skills"]


class TeamRoutingForm(AgentPageForm):
    assignment_mode = forms.ChoiceField(
        label=_("How new tickets are assigned"), choices=AssignmentMode.choices
    )
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=1000,
        help_text=_("The most open tickets one agent is given automatically."),
    )
    languages = checkboxes(_("Languages answered"), settings.LANGUAGES)
    skills = checkboxes(
        _("Skills the team routes by"),
        Skill.choices,
        help_text=_(
            "Complaints and warranty claims need Complaints, technical service needs Technical, "
            "orders need Billing: such tickets go first to agents with the skill."
        ),
    )


def _password(label: str, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}, render_value=False),
    )


class NewPasswordForm(AgentPageForm):
    """A new password typed twice; the service checks it against the password rules."""

    new_password = _password(_("New password"), "new-password")
    new_password_again = _password(_("New password again"), "new-password")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two passwords differ."))
        return data


class PasswordChangeForm(NewPasswordForm):
    old_password = _password(_("Current password"), "current-password")
    field_order = ["old_password", "new_password", "new_password_again"]


class PasswordResetForm(AgentPageForm):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class CodeForm(AgentPageForm):
    """Six digits from the authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class SignInPolicyForm(AgentPageForm):
    require_two_factor = forms.BooleanField(
        label=_("Require a second factor for every agent"),
        required=False,
        help_text=_(
            "Agents without an authenticator app set one up when they next sign in. "
            "API tokens are not affected."
        ),
    )
