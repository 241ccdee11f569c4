from django import forms
from django.utils.translation import gettext_lazy as _

from attenda.channels.social.models import SocialAccount
from attenda.channels.social.services import SECRETS
from attenda.tickets.forms import AgentPageForm


class SocialAccountForm(AgentPageForm, forms.ModelForm):
    """Secrets are never written back into the page: left empty, the stored one is kept."""

    class Meta:
        model = SocialAccount
        fields = [
            "provider",
            "name",
            "external_id",
            "team",
            "language",
            "is_active",
            "access_token",
            "app_secret",
            "verify_token",
            "template_name",
            "template_language",
        ]
        widgets = {name: forms.PasswordInput(render_value=False) for name in SECRETS}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in SECRETS:
            self.fields[name].required = False
            if self.instance.pk and getattr(self.instance, name):
                self.fields[name].help_text = _("A secret is stored; leave empty to keep it.")

    def _post_clean(self) -> None:
        """The service validates and saves; a ModelForm must not write to the instance first."""
