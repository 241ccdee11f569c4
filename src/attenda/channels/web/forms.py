"""The contact form as the visitor fills it in: what they write, and the two spam checks' fields."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from attenda.tickets.messages import InboundFile
from attenda.tickets.models import Kind

MAX_FILES = 5


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Several files from one input; each within the attachment limit, MAX_FILES at most."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list[InboundFile]:
        uploads = [upload for upload in (data if isinstance(data, list) else [data]) if upload]
        if len(uploads) > MAX_FILES:
            raise forms.ValidationError(_("Attach %(count)s files at most.") % {"count": MAX_FILES})
        too_large = [
            upload.name for upload in uploads if upload.size > settings.ATTACHMENT_MAX_BYTES
        ]
        if too_large:
            raise forms.ValidationError(
                _("These files are larger than %(limit)s: %(names)s")
                % {
                    "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
                    "names": ", ".join(too_large),
                }
            )
        return [
            InboundFile(
                filename=upload.name or "file",
                content_type=upload.content_type or "application/octet-stream",
                content=upload.read(),
            )
            for upload in uploads
        ]


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("Your email address"), max_length=320)
    kind = forms.ChoiceField(label=_("What is it about?"), choices=Kind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=300)
    message = forms.CharField(label=_("Your message"), widget=forms.Textarea, max_length=20000)
    files = FilesField(
        label=_("Attach files (optional)"),
        help_text=_("Up to %(count)s files.") % {"count": MAX_FILES},
    )
    language = forms.ChoiceField(label=_("Answer me in"), choices=settings.LANGUAGES)
    # Hidden from people (off-screen, out of the tab order, labelled "leave empty"); programs that
    # fill every field fill it.
    website = forms.CharField(required=False, max_length=500)
    opened = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _("Up to %(count)s files, each at most %(limit)s.") % {
            "count": MAX_FILES,
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        }
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
