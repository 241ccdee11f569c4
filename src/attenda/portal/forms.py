from django import forms
from django.utils.translation import gettext_lazy as _

from attenda.channels.web.forms import MAX_FILES, FilesField


class SignInForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=320)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your message"), widget=forms.Textarea, max_length=20000)
    files = FilesField(label=_("Attach files (optional)"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _("Up to %(count)s files.") % {"count": MAX_FILES}
