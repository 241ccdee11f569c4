"""Raw mail over the API, for mail services that deliver inbound mail by webhook: the message is
the request body, exactly as received (``Content-Type: message/rfc822``)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from attenda.api.schemas import ErrorOut
from attenda.channels.email.inbound import take_mail
from attenda.channels.email.models import Mailbox

router = Router(tags=["mail"])

# The largest message taken, as the SMTP receiver's limit.
MAX_MESSAGE_BYTES = 50 * 1024 * 1024


class MailTakenOut(Schema):
    mail_id: int
    state: str
    duplicate: bool
    ticket: int | None
    entry: int | None


@router.post(
    "/{address}",
    response={
        200: MailTakenOut,
        201: MailTakenOut,
        **dict.fromkeys((401, 403, 404, 413, 422), ErrorOut),
    },
    summary="Deliver a raw message to a mailbox",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def deliver(request: HttpRequest, address: str) -> Status:
    """Takes one message for the mailbox at ``address`` (admins' tokens only). 201 when it is new,
    200 when the same message (by Message-ID) was taken before; either way nothing is lost or
    doubled, so a webhook may safely send it again."""
    if not request.auth.is_admin:
        raise PermissionDenied
    mailbox = Mailbox.objects.get(address__iexact=address, is_active=True)
    raw = request.read(MAX_MESSAGE_BYTES + 1)
    if len(raw) > MAX_MESSAGE_BYTES:
        raise HttpError(413, _("The message is larger than 50 MB."))
    if not raw.strip():
        raise ValidationError(_("The request body must be the message itself."))
    taken = take_mail(mailbox, raw, source="api")
    entry = taken.mail.entry
    result = {
        "mail_id": taken.mail.pk,
        "state": taken.mail.state,
        "duplicate": taken.duplicate,
        "ticket": entry.ticket_id if entry else None,
        "entry": entry.pk if entry else None,
    }
    return Status(200 if taken.duplicate else 201, result)
