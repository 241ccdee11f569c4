from django import forms
from django.utils.translation import gettext_lazy as _

from attenda.channels.email.models import Mailbox
from attenda.tickets.forms import AgentPageForm


class MailboxForm(AgentPageForm, forms.ModelForm):
    """Passwords are never written back into the page: left empty, the stored one is kept."""

    class Meta:
        model = Mailbox
        fields = [
            "address",
            "name",
            "team",
            "language",
            "is_active",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_user",
            "imap_password",
            "imap_folder",
            "imap_archive_folder",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_user",
            "smtp_password",
        ]
        widgets = {
            "imap_password": forms.PasswordInput(render_value=False),
            "smtp_password": forms.PasswordInput(render_value=False),
        }
        help_texts = {
            "imap_host": _(
                "Leave empty when mail reaches Attenda by its SMTP receiver or the API."
            ),
            "imap_archive_folder": _("Empty: taken mail stays in the folder, marked as read."),
            "smtp_host": _("Empty: replies leave through Attenda's own mail settings."),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("imap_password", "smtp_password"):
            self.fields[name].required = False
            if self.instance.pk and getattr(self.instance, name):
                self.fields[name].help_text = _("A password is stored; leave empty to keep it.")

    def _post_clean(self) -> None:
        """The service validates and saves; a ModelForm must not write to the instance first."""


class ReprocessForm(AgentPageForm):
    """For a message whose sender was unclear, the admin picks one of the addresses its From
    headers name; for any other message the form is just its button."""

    sender = forms.ChoiceField(label=_("Treat as sent by"), required=False)

    def __init__(self, *args, candidates: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sender"].choices = [
            ("", _("Nobody yet: read the From header again")),
            *((address, address) for address in candidates),
        ]
        if not candidates:
            self.fields["sender"].widget = forms.HiddenInput()
