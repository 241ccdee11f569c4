"""Mail into tickets. Every way mail arrives — IMAP, Attenda's SMTP receiver, the API — hands the
raw bytes to ``take_mail()``, which keeps them first and then turns them into one ``Inbound`` for
``receive()``: a delivery report updates the mail it is about, mail from a sender writing too often
is held, anything else lands on a ticket. Nothing is dropped: a message that cannot be read still
becomes a timeline entry showing its source to a person."""

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from attenda.channels.email.addresses import mailbox_and_ticket
from attenda.channels.email.automatic import automatic_reason
from attenda.channels.email.bounces import BounceClass, read_bounce
from attenda.channels.email.models import (
    InboundMail,
    Mailbox,
    MailState,
    OutboundMail,
)
from attenda.channels.email.parsing import Address, ParsedMail, parse_message
from attenda.channels.email.quoting import split_reply
from attenda.core import audit, clock
from attenda.core.lookups import unique_or_none
from attenda.customers.models import Identity, IdentityKind
from attenda.customers.services import IdentityClaim
from attenda.tickets import services
from attenda.tickets.messages import Inbound, InboundFile
from attenda.tickets.models import Channel, Delivery, Participant, Ticket

logger = logging.getLogger(__name__)

# More mail than this from one sender to one mailbox within FLOOD_WINDOW is held, not ticketed.
FLOOD_LIMIT = 30
FLOOD_WINDOW = timedelta(hours=1)
# Mail nobody can say who sent lands with this customer, so it is still seen and answered by hand.
UNKNOWN_SENDER = "unknown-sender@attenda.invalid"
# Delivery reports come from these senders or say so in the subject or type; only such mail is read
# as a report (reading any mail as one cost more than the rest of taking it). A report's first
# megabytes say what it is about; a 25 MB original returned with it is not read again.
REPORT_SENDER = re.compile(
    r"^(mailer-?daemon|mail-?daemon|post_?master|mailer|mdaemon|mail-?delivery|bounces?|mailadmin"
    r"|root|returns?|nobody|mail|no-?reply|[\w.-]*-admin)(\+[^@]*)?$"
)
REPORT_SUBJECT = re.compile(
    r"(?i)deliver|returned|failure|failed|bounce|rejected|unzustellbar|non remis|no entregado"
    r"|entrega|nedistribuit|niedostarcz|niedoręcz|problem|warning|error|notification|report"
    r"|unable|blocked|quota|mailbox|spam|abuse|complaint|unsubscribe"
)
REPORT_READ_LIMIT = 4 * 1024 * 1024
SUBJECT_NUMBER = re.compile(r"\[#(\d{1,12})\]")
SUBJECT_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|rv|res|enc|odp|pd|r)\s*(\[\d+\])?\s*:\s*)+", re.I
)


@dataclass(frozen=True)
class Taken:
    mail: InboundMail
    duplicate: bool = False


def message_key(parsed: ParsedMail, raw: bytes) -> str:
    """The Message-ID, or for mail without one a digest of its bytes: the same message either way."""
    return parsed.message_id or f"sha256-{hashlib.sha256(raw).hexdigest()}@attenda.invalid"


def take_mail(
    mailbox: Mailbox, raw: bytes, *, source: str, envelope_recipients: Sequence[str] = ()
) -> Taken:
    """Keeps and handles one message that reached ``mailbox``; the same message again (by Message-ID
    and mailbox) returns what became of it the first time. ``envelope_recipients`` are the addresses
    the sending server delivered to, when known (a signed reply address may be only there: Bcc,
    forwarding)."""
    parsed = parse_message(raw)
    key = message_key(parsed, raw)
    try:
        with transaction.atomic():
            return Taken(_take(mailbox, raw, parsed, key, source, envelope_recipients))
    except IntegrityError:
        # The unique (mailbox, message_id) refused it: taken before, or at this very moment by
        # another way in (IMAP and the SMTP receiver both had it). Asking first would cost every
        # new message a query to spare the rare repeat its work, which is rolled back.
        earlier = unique_or_none(InboundMail.objects.filter(mailbox=mailbox, message_id=key))
        if earlier is None:
            raise
        return Taken(earlier, duplicate=True)
    except Exception as error:  # noqa: BLE001 - a message Attenda cannot handle is still kept.
        logger.exception("Mail %s to %s could not be handled; kept as unreadable.", key, mailbox)
        with transaction.atomic():
            return Taken(_keep_unreadable(mailbox, raw, key, source, error))


def _take(
    mailbox: Mailbox,
    raw: bytes,
    parsed: ParsedMail,
    key: str,
    source: str,
    envelope_recipients: Sequence[str],
) -> InboundMail:
    sender = parsed.sender.address.lower() if parsed.sender and parsed.sender.address else ""
    mail = InboundMail(
        mailbox=mailbox,
        message_id=key,
        sender=sender[:320],
        subject=parsed.subject[:998],
        source=source,
        raw=services.store_blob(raw),
        problems=parsed.problems,
    )
    bounce = read_bounce(raw[:REPORT_READ_LIMIT]) if _may_be_report(parsed) else None
    if bounce is not None and bounce.recipients and bounce.recipients[0].reason != "vacation":
        mail.state = MailState.BOUNCE
        mail.save()
        _record_bounce(mail, bounce)
        return mail
    if sender and _flooding(mailbox, sender):
        mail.state = MailState.HELD
        mail.save()
        audit.record(actor=None, action="mail.held", target=mail, sender=sender)
        return mail
    mail.state = MailState.TAKEN
    mail.save()
    ticket_entry(mail, parsed, raw, envelope_recipients)
    return mail


def _keep_unreadable(
    mailbox: Mailbox, raw: bytes, key: str, source: str, error: Exception
) -> InboundMail:
    """The last resort, when handling the message failed: it still becomes a ticket of the unknown
    sender, whose timeline offers the original exactly as it arrived."""
    problem = f"Attenda could not handle this message: {error!r}"
    mail = InboundMail.objects.create(
        mailbox=mailbox,
        message_id=key,
        source=source,
        state=MailState.TAKEN,
        raw=services.store_blob(raw),
        problems=[problem],
    )
    received = services.receive(
        Inbound(
            channel=Channel.EMAIL,
            claims=[IdentityClaim(kind=IdentityKind.EMAIL, value=UNKNOWN_SENDER)],
            sender_name=_("Unknown sender"),
            subject=_("A message Attenda could not read"),
            body=_("Attenda could not read this message; its original shows it as it arrived."),
            language=mailbox.language,
            external_id=key,
            raw=raw,
            team_id=mailbox.team_id,
            entry_data={"mail": mail.pk, "problems": [problem]},
        )
    )
    mail.entry = received.entry
    mail.save(update_fields=["entry"])
    return mail


def ticket_entry(
    mail: InboundMail, parsed: ParsedMail, raw: bytes, envelope_recipients: Sequence[str] = ()
) -> None:
    """Puts a kept message on its ticket: threads it, keeps its Cc'd people, acknowledges a new
    ticket unless the mail is automatic. Also used to let held mail through."""
    mailbox = mail.mailbox
    own = {address.lower() for address in Mailbox.objects.values_list("address", flat=True)}
    automatic = automatic_reason(parsed.headers, own_addresses=own)
    sender = parsed.sender if parsed.sender and parsed.sender.address else None
    split = split_reply(parsed.text, sender=_display(sender) if sender else "")
    body = split.new or parsed.text.strip()
    if not body and parsed.parts:
        body = _("(attachments only)")
    inbound = Inbound(
        channel=Channel.EMAIL,
        claims=[
            IdentityClaim(
                kind=IdentityKind.EMAIL, value=sender.address if sender else UNKNOWN_SENDER
            )
        ],
        sender_name=(sender.name if sender else "") or (_("Unknown sender") if not sender else ""),
        subject=SUBJECT_PREFIX.sub("", SUBJECT_NUMBER.sub("", parsed.subject)).strip(),
        body=body,
        language=mailbox.language,
        ticket_number=_quoted_number(parsed, own, envelope_recipients),
        references=[*parsed.references, *parsed.in_reply_to],
        external_id=mail.message_id,
        received_at=mail.received_at,
        files=[
            InboundFile(
                filename=part.filename, content_type=part.content_type, content=part.content
            )
            for part in parsed.parts
        ],
        raw=raw,  # the blob kept with the InboundMail: stored once, by its digest
        team_id=mailbox.team_id,
        entry_data={
            "mail": mail.pk,
            "quoted": split.quoted,
            "signature": split.signature,
            "automatic": automatic or "",
            "problems": parsed.problems,
            "to": [_display(address) for address in parsed.to],
            "cc": [_display(address) for address in parsed.cc],
        },
    )
    received = services.receive(inbound)
    mail.entry = received.entry
    mail.save(update_fields=["entry"])
    _keep_participants(received.ticket, parsed, own, sender, opened=received.opened)
    if received.opened and not automatic and sender is not None:
        from attenda.channels.email.outbound import acknowledge

        acknowledge(ticket=received.ticket, mailbox=mailbox, to=sender.address)


def _display(address: Address) -> str:
    return f"{address.name} <{address.address}>" if address.name else address.address


def _quoted_number(
    parsed: ParsedMail, own: set[str], envelope_recipients: Sequence[str]
) -> int | None:
    """A ticket named by a signed reply address the mail was sent to, else by ``[#n]`` in the subject."""
    addresses = [*envelope_recipients, *(address.address for address in (*parsed.to, *parsed.cc))]
    for address in addresses:
        mailbox_address, number = mailbox_and_ticket(address)
        if number is not None and mailbox_address in own:
            return number
    found = SUBJECT_NUMBER.search(parsed.subject)
    return int(found[1]) if found else None


def _authenticated(parsed: ParsedMail) -> bool:
    """Whether our own receiving server vouched for the sender (DMARC or DKIM passed). Only the
    topmost Authentication-Results, added by the last hop, and only when it names our server
    (MAIL_AUTHSERV_ID): a sender can write any such header lower down."""
    if not settings.MAIL_AUTHSERV_ID:
        return False
    results = parsed.headers.get("authentication-results", "").strip().lower()
    authserv_id = results.split(";", 1)[0].split()[0] if results else ""
    if authserv_id != settings.MAIL_AUTHSERV_ID.lower():
        return False
    return "dmarc=pass" in results or "dkim=pass" in results


def _keep_participants(
    ticket: Ticket, parsed: ParsedMail, own: set[str], sender: Address | None, *, opened: bool
) -> None:
    """People the customer copied become participants. On a reply to an existing ticket only when the
    sender is vouched for: a forged From with someone else in Cc must not copy them the thread."""
    sender_address = sender.address.lower() if sender else ""
    addresses = {}
    for address in (*parsed.to, *parsed.cc):
        value = address.address.lower()
        mailbox_address, _number = mailbox_and_ticket(value)
        if value and value != sender_address and mailbox_address not in own:
            addresses[value] = address.name
    if not addresses:
        return  # the usual mail: to the mailbox alone
    # Neither the customer's own addresses nor people already taking part.
    known = set(
        Identity.objects.filter(customer_id=ticket.customer_id).values_list("value", flat=True)
    ) | set(ticket.participants.values_list("address", flat=True))
    new = {value: name for value, name in addresses.items() if value not in known}
    if not new:
        return
    if not opened and not _authenticated(parsed):
        services.add_event(
            ticket=ticket,
            body=_(
                "This mail copied %(addresses)s, who were not added to the ticket: the sender's "
                "address could not be verified."
            )
            % {"addresses": ", ".join(sorted(new))},
        )
        return
    Participant.objects.bulk_create(
        [Participant(ticket=ticket, address=value, name=name[:200]) for value, name in new.items()],
        ignore_conflicts=True,
    )


def _may_be_report(parsed: ParsedMail) -> bool:
    content_type = parsed.headers.get("content-type", "").lower()
    sender = parsed.sender.address.lower() if parsed.sender and parsed.sender.address else ""
    return bool(
        not sender
        or "report" in content_type
        or "x-failed-recipients" in parsed.headers
        or parsed.headers.get("return-path", "").strip() == "<>"
        or REPORT_SENDER.match(sender.split("@", 1)[0])
        or REPORT_SUBJECT.search(parsed.subject)
    )


def _flooding(mailbox: Mailbox, sender: str) -> bool:
    """inbound_sender_idx."""
    since = clock.now() - FLOOD_WINDOW
    recent = InboundMail.objects.filter(mailbox=mailbox, sender=sender, received_at__gte=since)
    return recent.values("id")[:FLOOD_LIMIT].count() >= FLOOD_LIMIT


def _record_bounce(mail: InboundMail, bounce) -> None:
    """Ties a delivery report to the mail it is about; a hard bounce marks the address undeliverable
    and says so on the ticket."""
    outbound = None
    if bounce.original_message_id:
        outbound = unique_or_none(
            OutboundMail.objects.filter(message_id=bounce.original_message_id)
        )
    addresses = [recipient.address.strip().lower() for recipient in bounce.recipients]
    # One read for every address the report names: most reports name addresses nobody here has.
    identities = {
        identity.value: identity
        for identity in Identity.objects.filter(kind=IdentityKind.EMAIL, value__in=addresses)
    }
    if outbound is None and addresses and addresses[0] in identities:
        # No Message-ID in the report: the latest mail from this mailbox to that customer.
        outbound = (
            OutboundMail.objects.filter(
                mailbox=mail.mailbox, ticket__customer_id=identities[addresses[0]].customer_id
            )
            .order_by("-created_at")
            .first()
        )
    now = clock.now()
    for address, recipient in zip(addresses, bounce.recipients, strict=True):
        if recipient.bounce_class == BounceClass.HARD and address in identities:
            Identity.objects.filter(pk=identities[address].pk).update(
                undeliverable_since=now,
                undeliverable_reason=f"{recipient.status} {recipient.reason}".strip()[:300],
            )
    if outbound is None:
        return
    outbound.bounce = {
        "mail": mail.pk,
        "recipients": [
            {
                "address": recipient.address,
                "status": recipient.status,
                "class": str(recipient.bounce_class),
                "reason": recipient.reason,
                "diagnostic": recipient.diagnostic[:500],
            }
            for recipient in bounce.recipients
        ],
    }
    outbound.save(update_fields=["bounce"])
    services.delivery_failed(
        entry_id=outbound.entry_id,
        state=Delivery.BOUNCED,
        note=", ".join(f"{r.address}: {r.status} {r.reason}".strip() for r in bounce.recipients),
    )
    hard = [r for r in bounce.recipients if r.bounce_class == BounceClass.HARD]
    services.add_event(
        ticket=outbound.ticket,
        body=(
            _(
                "Mail to %(addresses)s bounced for good (%(status)s): the address does not accept mail."
            )
            if hard
            else _(
                "Mail to %(addresses)s bounced for now (%(status)s); the server may accept it later."
            )
        )
        % {
            "addresses": ", ".join(r.address for r in bounce.recipients),
            "status": ", ".join(filter(None, (r.status for r in bounce.recipients))) or "?",
        },
        data={"bounce": outbound.pk, "entry": outbound.entry_id},
    )
