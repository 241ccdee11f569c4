"""Mail out of tickets: a reply or an acknowledgement becomes an OutboundMail, and a background task
sends it through the mailbox's SMTP server, retrying with growing waits while the server is down.
The timeline entry shows where it is: waiting to be sent, sent, not sent (and why), or bounced."""

import logging
import smtplib
from datetime import timedelta
from email.utils import formataddr, make_msgid
from operator import attrgetter

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend
from django.db import transaction
from django.db.models import Case, When
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attenda.channels.email.addresses import reply_address
from attenda.channels.email.html import text_to_html
from attenda.channels.email.models import Mailbox, OutboundMail, Security
from attenda.core import clock
from attenda.core.tasks import background
from attenda.customers.models import Identity, IdentityKind
from attenda.routing.waiting import describe_wait, expected_first_response
from attenda.tickets import services
from attenda.tickets.delivery import Route
from attenda.tickets.models import Channel, Delivery, EntryKind, Ticket, TimelineEntry

logger = logging.getLogger(__name__)

# At most this many acknowledgements go to one address within ACKNOWLEDGEMENT_WINDOW, whichever
# mailbox it wrote to: a forged sender must not turn the desk into a mail cannon aimed at a victim,
# and a real customer who opens more tickets than this in a day still gets their answers.
ACKNOWLEDGEMENTS_PER_ADDRESS = 3
ACKNOWLEDGEMENT_WINDOW = timedelta(hours=24)


def mailbox_for(ticket: Ticket) -> Mailbox | None:
    """The mailbox the customer wrote to, else one of the ticket's team, else any active one."""
    return _reach(ticket)[0]


# ``_reach``'s query, written out: composing its nested subqueries and ranking cost Django several
# times the query's own time, on every ticket page. The ticket's entries are looked up as a list, not
# joined: their ids come in order from entry_ticket_idx, so the earliest mail and the latest sender
# are found without sorting.
_REACH_SQL = """
WITH first_mail AS (
    SELECT mail.mailbox_id FROM email_inboundmail mail
    WHERE mail.entry_id IN (SELECT id FROM tickets_timelineentry WHERE ticket_id = %s)
    ORDER BY mail.entry_id LIMIT 1
)
SELECT mailbox.*, (
    SELECT mail.sender FROM email_inboundmail mail
    WHERE mail.entry_id IN (
        SELECT id FROM tickets_timelineentry WHERE ticket_id = %s AND author_customer_id = %s
    ) AND mail.sender <> ''
    ORDER BY mail.entry_id DESC LIMIT 1
) AS last_sender
FROM email_mailbox mailbox
WHERE mailbox.id = (SELECT mailbox_id FROM first_mail) OR mailbox.is_active
ORDER BY CASE
    WHEN mailbox.id = (SELECT mailbox_id FROM first_mail) THEN 0
    WHEN mailbox.team_id {team} THEN 1
    ELSE 2
END, mailbox.id
LIMIT 1
"""


def _reach(ticket: Ticket) -> tuple[Mailbox | None, str | None]:
    """The mailbox a reply leaves from (``mailbox_for``) and where it goes (where the customer last
    wrote from, else their first email address), in one query: the mailbox of the ticket's first
    mail ranks first, then the team's active mailbox, then any other active one, and the customer's
    last sender comes with it."""
    params = [ticket.pk, ticket.pk, ticket.customer_id]
    if ticket.team_id is None:
        sql = _REACH_SQL.format(team="IS NULL")
    else:
        sql, params = _REACH_SQL.format(team="= %s"), [*params, ticket.team_id]
    mailbox = next(iter(Mailbox.objects.raw(sql, params)), None)
    if mailbox is None:
        return None, None
    if mailbox.last_sender:
        return mailbox, mailbox.last_sender
    # All of the customer's few identities, so that the ticket page's, loaded with the customer,
    # serve without a query of their own.
    identities = sorted(ticket.customer.identities.all(), key=attrgetter("pk"))
    first_address = next(
        (found.value for found in identities if found.kind == IdentityKind.EMAIL), None
    )
    return mailbox, first_address


def _team_mailbox(team_id: int | None) -> Mailbox | None:
    """One query: the team's own active mailbox sorts first, then any other."""
    return (
        Mailbox.objects.filter(is_active=True)
        .order_by(Case(When(team_id=team_id, then=0), default=1), "pk")
        .first()
    )


def route_without_mail(*, customer_id: int, team_id: int | None) -> Route:
    """The email route of a ticket no mail has come in on yet: the team's mailbox (else any) to the
    customer's first address. The demo's bulk history writes its replies by this rule."""
    first_address = (
        Identity.objects.filter(customer_id=customer_id, kind=IdentityKind.EMAIL)
        .order_by("pk")
        .values_list("value", flat=True)
        .first()
    )
    return _route(_team_mailbox(team_id), first_address)


def reply_route(ticket: Ticket) -> Route:
    """Where a reply by email would go: the customer's address and the mailbox it leaves from. The
    composer shows it; on a ticket that came another way it is the way that works, if any."""
    return _route(*_reach(ticket))


def _route(mailbox: Mailbox | None, to: str | None) -> Route:
    if mailbox is None:
        return Route(channel=Channel.EMAIL, can_deliver=False, reason=_("No mailbox to send from."))
    if to is None:
        return Route(
            channel=Channel.EMAIL, can_deliver=False, reason=_("The customer has no email address.")
        )
    return Route(channel=Channel.EMAIL, can_deliver=True, address=to, sender=mailbox.address)


def queue_reply(entry: TimelineEntry) -> None:
    """Sends an agent's reply by email to the customer, copying the ticket's participants and the
    addresses the agent added."""
    ticket = entry.ticket
    mailbox, to = _reach(ticket)
    if mailbox is None or to is None:
        _not_sent(
            entry,
            _("No mailbox to send from.")
            if mailbox is None
            else _("The customer has no email address."),
        )
        return
    cc = list(ticket.participants.values_list("address", flat=True))
    cc += [address for address in entry.data.get("cc", []) if address not in cc]
    _queue(entry, mailbox, to=[to], cc=cc)


def acknowledge(*, ticket: Ticket, mailbox: Mailbox, to: str) -> TimelineEntry | None:
    """Tells the customer, in their language, that their message became ticket number N, and how
    long the answer should take when the team's pace allows an estimate (routing.waiting). Sends
    nothing, and says so on the ticket, once the address had its share of acknowledgements."""
    if _acknowledged_lately(ticket.customer_id, to) >= ACKNOWLEDGEMENTS_PER_ADDRESS:
        services.add_event(
            ticket=ticket,
            body=_(
                "No acknowledgement was sent: %(address)s already received %(count)s in the "
                "last 24 hours."
            )
            % {"address": to, "count": ACKNOWLEDGEMENTS_PER_ADDRESS},
        )
        return None
    wait = expected_first_response(ticket.team, ahead_of=ticket) if ticket.team else None
    with translation.override(ticket.language or mailbox.language):
        fields = {"number": ticket.number, "subject": ticket.subject, "mailbox": mailbox.name}
        if wait is None:
            body = _(
                "Hello,\n\nWe received your message and opened ticket #%(number)s, "
                '"%(subject)s". We will answer you as soon as we can.\n\nTo add to it, reply to '
                "this mail and keep [#%(number)s] in the subject.\n\n%(mailbox)s"
            )
        else:
            fields["wait"] = describe_wait(wait)
            body = _(
                "Hello,\n\nWe received your message and opened ticket #%(number)s, "
                '"%(subject)s". We expect to answer you within %(wait)s.\n\nTo add to it, reply '
                "to this mail and keep [#%(number)s] in the subject.\n\n%(mailbox)s"
            )
        body = body % fields
    entry = services.add_acknowledgement(ticket=ticket, body=body, channel=Channel.EMAIL)
    _queue(entry, mailbox, to=[to], cc=[])
    return entry


@background(label=gettext_lazy("Acknowledging a new ticket"))
def acknowledge_later(ticket_id: int, mailbox_id: int, to: str) -> None:
    """``acknowledge()`` on the worker, queued with the mail that opened the ticket (in its
    transaction when the queue is the database's: one commit, and no acknowledgement lost between
    two): the intake's transaction, which every other message waits for on SQLite, no longer
    writes it. Run again after a failure, it acknowledges the ticket once."""
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",)).select_related("team").get(pk=ticket_id)
        )
        if ticket.timeline.filter(kind=EntryKind.ACKNOWLEDGEMENT).exists():
            return
        acknowledge(ticket=ticket, mailbox=Mailbox.objects.get(pk=mailbox_id), to=to)


def _acknowledged_lately(customer_id: int, address: str) -> int:
    """Acknowledgements to ``address`` within the window. An acknowledgement only ever goes to the
    sender of a new ticket, whose customer owns that address: so the customer's tickets
    (ticket_customer_idx) lead to them, and only their few recent outbound mails are read."""
    since = clock.now() - ACKNOWLEDGEMENT_WINDOW
    recipients = OutboundMail.objects.filter(
        ticket__customer_id=customer_id,
        ticket__updated_at__gte=since,
        entry__kind=EntryKind.ACKNOWLEDGEMENT,
        created_at__gte=since,
    ).values_list("to", flat=True)
    wanted = address.strip().lower()
    return sum(
        1
        for to in recipients[: ACKNOWLEDGEMENTS_PER_ADDRESS * 20]
        if [value.strip().lower() for value in to] == [wanted]
    )


def _queue(entry: TimelineEntry, mailbox: Mailbox, *, to: list[str], cc: list[str]) -> None:
    ticket = entry.ticket
    subject = " ".join(f"Re: {ticket.subject} [#{ticket.number}]".split())
    outbound = OutboundMail.objects.create(
        ticket=ticket,
        entry=entry,
        mailbox=mailbox,
        message_id=make_msgid(domain=mailbox.address.split("@", 1)[1]).strip("<>"),
        to=to,
        cc=cc,
        subject=subject,
    )
    if entry.delivery != Delivery.QUEUED:
        TimelineEntry.objects.filter(pk=entry.pk).update(delivery=Delivery.QUEUED, delivery_note="")
    send_outbound.enqueue_on_commit(outbound.pk)


def _not_sent(entry: TimelineEntry, why: str) -> None:
    services.delivery_failed(entry_id=entry.pk, state=Delivery.FAILED, note=why)


def compose(outbound: OutboundMail) -> EmailMultiAlternatives:
    """The mail as customers' programs expect a reply: text and HTML, threaded to what the customer
    sent (In-Reply-To, References), From the mailbox in the agent's name, replies to a signed
    address of this ticket."""
    entry = outbound.entry
    mailbox = outbound.mailbox
    earlier = list(
        TimelineEntry.objects.filter(
            ticket=outbound.ticket, channel=Channel.EMAIL, external_id__isnull=False
        )
        .exclude(external_id__startswith="sha256-")
        .order_by("created_at", "id")
        .values_list("external_id", flat=True)
    )
    sender_name = (
        f"{entry.author_agent.display_name} ({mailbox.name})"
        if entry.author_agent
        else mailbox.name
    )
    headers = {
        "Message-ID": f"<{outbound.message_id}>",
        "Reply-To": reply_address(mailbox.address, outbound.ticket.number),
        # Our own mail coming back (a robot echoing it) is recognised by this and never answered.
        "X-Loop": mailbox.address,
    }
    if earlier:
        headers["In-Reply-To"] = f"<{earlier[-1]}>"
        headers["References"] = " ".join(f"<{message_id}>" for message_id in earlier[-20:])
    if entry.kind == EntryKind.ACKNOWLEDGEMENT:
        headers["Auto-Submitted"] = "auto-replied"  # RFC 3834: robots must not answer it
    message = EmailMultiAlternatives(
        subject=outbound.subject,
        body=entry.body,
        from_email=formataddr((sender_name, mailbox.address)),
        to=outbound.to,
        cc=outbound.cc,
        headers=headers,
    )
    message.attach_alternative(text_to_html(entry.body), "text/html")
    for attachment in entry.attachments.select_related("blob").order_by("pk"):
        with attachment.blob.content.open("rb") as stored:
            message.attach(attachment.filename, stored.read(), attachment.content_type or None)
    return message


def _connection(mailbox: Mailbox):
    """The mailbox's SMTP server, or Attenda's own mail settings when it names none."""
    if not mailbox.smtp_host:
        return get_connection()
    return EmailBackend(
        host=mailbox.smtp_host,
        port=mailbox.smtp_port,
        username=mailbox.smtp_user or None,
        password=mailbox.smtp_password or None,
        use_tls=mailbox.smtp_security == Security.STARTTLS,
        use_ssl=mailbox.smtp_security == Security.SSL,
        timeout=settings.EMAIL_TIMEOUT or 30,
        fail_silently=False,
    )


def _gave_up(outbound_id: int, *, error: Exception) -> None:
    outbound = OutboundMail.objects.filter(pk=outbound_id).first()
    if outbound is not None:
        _not_sent(
            outbound.entry, _("The mail server did not take it: %(error)s") % {"error": error}
        )


def permanent_refusal(error: Exception) -> str | None:
    """The server's own words when it refused the mail for good (a 5xx reply to the sender, the
    recipients or the message): sending it again would only be refused again, so it is not retried.
    A refused sign-in is not one of them: an admin may correct the password before the next try."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refusals = error.recipients.values()
        if refusals and all(code >= 500 for code, _text in refusals):
            return "; ".join(
                f"{address}: {code} {_smtp_text(text)}"
                for address, (code, text) in error.recipients.items()
            )
        return None
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPDataError) and (
        500 <= error.smtp_code < 600
    ):
        return f"{error.smtp_code} {_smtp_text(error.smtp_error)}"
    return None


def _smtp_text(text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(text.split())


@background(gave_up=_gave_up, label=gettext_lazy("Sending an email"))
def send_outbound(outbound_id: int) -> None:
    """Sends one mail; a temporary error is retried by the task queue with growing waits, a
    permanent refusal shows "not sent" at once with the server's reason."""
    outbound = OutboundMail.objects.select_related("entry__author_agent", "mailbox", "ticket").get(
        pk=outbound_id
    )
    if outbound.sent_at is not None:
        return  # sent already: a retry after a lost acknowledgement must not send it twice
    outbound.attempts += 1
    try:
        _connection(outbound.mailbox).send_messages([compose(outbound)])
    except Exception as error:
        refusal = permanent_refusal(error)
        if refusal is not None:
            outbound.last_error = refusal
            outbound.save(update_fields=["attempts", "last_error"])
            _not_sent(
                outbound.entry,
                _("The mail server refused it for good: %(reason)s") % {"reason": refusal},
            )
            return
        outbound.save(update_fields=["attempts"])
        TimelineEntry.objects.filter(pk=outbound.entry_id).update(
            delivery_note=_("Attempt %(number)s failed: %(error)s")
            % {"number": outbound.attempts, "error": error}
        )
        raise
    outbound.sent_at = clock.now()
    outbound.save(update_fields=["attempts", "sent_at"])
    TimelineEntry.objects.filter(pk=outbound.entry_id).update(
        delivery=Delivery.SENT, delivery_note=""
    )
