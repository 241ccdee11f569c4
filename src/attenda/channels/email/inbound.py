"""Mail into tickets. Every way mail arrives — IMAP, Attenda's SMTP receiver, the API — hands the
raw bytes to ``take_mail()``, which keeps them first and then turns them into one ``Inbound`` for
``receive()``: a delivery report updates the mail it is about, mail from a sender writing too often
is held, anything else lands on a ticket. Nothing is dropped: a message that cannot be read still
becomes a timeline entry showing its source to a person, and one that Attenda fails on, that costs
more than its budget or whose sender is unclear is kept in the unprocessable store for an admin."""

import functools
import hashlib
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from attenda.channels.email import budget
from attenda.channels.email.addresses import mailbox_and_ticket
from attenda.channels.email.authentication import SenderCheck, check_sender
from attenda.channels.email.automatic import automatic_reason
from attenda.channels.email.bounces import Bounce, BounceClass, read_bounce
from attenda.channels.email.models import (
    InboundMail,
    Mailbox,
    MailState,
    OutboundMail,
    SetAsideReason,
)
from attenda.channels.email.parsing import Address, MailHead, ParsedMail, parse_message, read_head
from attenda.channels.email.quoting import ReplyText, split_reply
from attenda.core import audit, clock
from attenda.core.inserts import insert, update
from attenda.core.lookups import unique_or_none
from attenda.core.tasks import BatchTask
from attenda.customers.models import Identity, IdentityKind
from attenda.customers.services import IdentityClaim
from attenda.tickets import services
from attenda.tickets.messages import Inbound, InboundFile
from attenda.tickets.models import Blob, Channel, Delivery, Participant, Ticket
from attenda.tickets.turns import write_in_turns

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
# Mail whose reading costs many times taking a usual message's (2–8 ms of CPU) is kept for the
# worker too, told before parsing by what its reading costs with (benchmarks/mail_costs.py, the
# corpus through take_mail): its size (text decoded, split and searched, HTML turned into text,
# attachments decoded, hashed and stored: 14–16 ms for the corpus's 1.5 MB mails), its header block
# (a 200 KB subject: 25 ms) and its HTML tags (55 KB of HTML with 1,700 tags: 15 ms). The 19
# customers' mails of the corpus these keep cost 4–30 ms each read at once, 0.6–4.6 ms kept.
COSTLY_BYTES = 100 * 1024
COSTLY_HEADER_BYTES = 16 * 1024
COSTLY_TAGS = 1_000
# Mail that may be a report or is costly to read waits for the worker's reading, queued 0.2 s after
# a commit and at most five times a second by each process (the scheduler runs it every few seconds
# for what a stopped process left waiting), and is read this many at a time. A second's wait, with
# the worker's look at the queue once a second, left a mail unread for up to two.
WAITING_READER = BatchTask("attenda.channels.email.tasks.read_waiting_mail", delay=0.2)
READ_BATCH = 50
# What the mail's row keeps of its subject (RFC 5322's longest line); a report is told by it, not
# by the rest of a subject someone made 200 KB long (searching that cost 30 ms).
SUBJECT_KEPT = 998
# Of a mail's To and Cc, only this many addresses are read for participants (and kept on its
# entry); a mail to more people is a list or a mass mailing, and the rest are only counted.
RECIPIENTS_READ = 50
# A verified reply on an existing ticket adds at most this many people at once; more, or anyone
# copied on a new ticket, are proposed to an agent, who confirms who receives the replies.
PARTICIPANTS_ADDED_AT_ONCE = 10
SUBJECT_NUMBER = re.compile(r"\[#(\d{1,12})\]")
SUBJECT_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|rv|res|enc|odp|pd|r)\s*(\[\d+\])?\s*:\s*)+", re.I
)
# The headers that say what a message is; trace headers (Received, Delivered-To...) differ between
# two deliveries of one message (by IMAP and by the SMTP receiver) and are left out of its content.
CONTENT_HEADERS = frozenset(
    {
        b"from",
        b"sender",
        b"to",
        b"cc",
        b"reply-to",
        b"subject",
        b"date",
        b"in-reply-to",
        b"references",
        b"mime-version",
        b"content-type",
        b"content-transfer-encoding",
    }
)
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class Taken:
    mail: InboundMail
    duplicate: bool = False


def message_key(parsed: ParsedMail | MailHead, raw: bytes) -> str:
    """The Message-ID, or for mail without one a digest of its bytes: the same message either way."""
    return parsed.message_id or _digest_key(raw)


def _digest_key(raw: bytes) -> str:
    return f"sha256-{hashlib.sha256(raw).hexdigest()}@attenda.invalid"


def content_digest(raw: bytes) -> str:
    """A digest of what a message says — its content headers and its body, line ends aside — the
    same for two deliveries of one message whatever their trace headers."""
    found = _HEADER_END.search(raw)
    head, body = (raw[: found.start()], raw[found.end() :]) if found else (raw, b"")
    digest = hashlib.sha256()
    for line in re.split(rb"\r?\n(?![ \t])", head):
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() in CONTENT_HEADERS:
            digest.update(name.strip().lower() + b":" + b" ".join(value.split()) + b"\n")
    digest.update(b"\n" + body.replace(b"\r\n", b"\n").rstrip(b"\r\n"))
    return digest.hexdigest()


def _same_message(earlier: InboundMail, raw: bytes) -> bool:
    if earlier.raw.sha256 == Blob.digest(raw):
        return True
    with earlier.raw.content.open("rb") as source:
        return content_digest(source.read()) == content_digest(raw)


def take_mail(
    mailbox: Mailbox, raw: bytes, *, source: str, envelope_recipients: Sequence[str] = ()
) -> Taken:
    """Keeps and handles one message that reached ``mailbox``; the same message again (by Message-ID
    and mailbox, and the same bytes or content) returns what became of it the first time, while a
    different message reusing a Message-ID is taken as the new message it is. ``envelope_recipients``
    are the addresses the sending server delivered to, when known (a signed reply address may be
    only there: Bcc, forwarding). Each message gets its budget (budget.py): one over it is set aside
    in the unprocessable store and the mail behind it goes on. Mail costly to read
    (``costly_to_read``) is not parsed here: its head is enough to keep it for the worker."""
    with budget.metered(budget.Meter()):
        try:
            parsed = read_head(raw) if costly_to_read(raw) else parse_message(raw)
            refused = None
        except budget.OverBudget as over:
            parsed, refused = None, over
        key = message_key(parsed, raw) if parsed is not None else _digest_key(raw)
        try:
            return _attempt(mailbox, raw, parsed, key, source, envelope_recipients, refused)
        except IntegrityError:
            # The unique (mailbox, message_id) refused it: taken before, or at this very moment
            # by another way in (IMAP and the SMTP receiver both had it). Asking first would cost
            # every new message a query to spare the rare repeat its work, which is rolled back.
            earlier = unique_or_none(InboundMail.objects.filter(mailbox=mailbox, message_id=key))
            if earlier is None:
                raise
            if _same_message(earlier, raw):
                return Taken(earlier, duplicate=True)
        # Another message under a Message-ID already taken (a careless mailer, or someone hoping to
        # have it dropped): taken under a key of its own, the same for each delivery of it.
        reused = f"{key[:900]} reused {content_digest(raw)[:32]}"
        try:
            return _attempt(
                mailbox, raw, parsed, reused, source, envelope_recipients, refused, earlier
            )
        except IntegrityError:
            repeated = unique_or_none(
                InboundMail.objects.filter(mailbox=mailbox, message_id=reused)
            )
            if repeated is None:
                raise
            return Taken(repeated, duplicate=True)


def costly_to_read(raw: bytes) -> bool:
    """Whether reading the message (parsing it, putting it on its ticket) would cost many times
    taking a usual one, judged on its bytes before parsing, in microseconds: over COSTLY_BYTES,
    over COSTLY_TAGS ``<``s, or a header block (up to the first blank line) over
    COSTLY_HEADER_BYTES. Such mail waits for the worker as a possible report does: a message's
    taking is then bounded whatever its sender wrote, which the stall rule of "Speed on a full
    desk" asks (no write over 20 times the median, a mail kept waiting: 0.7 ms)."""
    if len(raw) > COSTLY_BYTES or raw.count(b"<") > COSTLY_TAGS:
        return True
    header_end = _HEADER_END.search(raw, 0, COSTLY_HEADER_BYTES + 4)
    return (header_end.start() if header_end else len(raw)) > COSTLY_HEADER_BYTES


def _attempt(
    mailbox: Mailbox,
    raw: bytes,
    parsed: ParsedMail | MailHead | None,
    key: str,
    source: str,
    envelope_recipients: Sequence[str],
    refused: budget.OverBudget | None,
    reusing: InboundMail | None = None,
) -> Taken:
    """Takes the message under ``key``, or sets it aside; raises IntegrityError when ``key`` is
    taken already."""
    if parsed is None:
        return Taken(_set_aside(mailbox, raw, key, source, SetAsideReason.OVER_BUDGET, refused))
    try:
        keep = reusing is None and (isinstance(parsed, MailHead) or _may_be_report(parsed))
        read = None if keep or isinstance(parsed, MailHead) else read_for_ticket(parsed, raw)
        raw_file = services.write_blob_file(raw)
        with transaction.atomic():
            mail = InboundMail(
                mailbox=mailbox, message_id=key, source=source, raw=services.store_blob(raw_file)
            )
            if keep:
                _keep_waiting(mail, parsed, envelope_recipients)
            else:
                if isinstance(parsed, MailHead):
                    # A costly message under a Message-ID taken already, rare, is read here,
                    # under its budget: the worker's reading does not say it reused one.
                    parsed = parse_message(raw)
                bounce = _report(raw, _may_be_report(parsed))
                _take(mail, raw, parsed, bounce, envelope_recipients, reusing=reusing, read=read)
            return Taken(mail)
    except IntegrityError:
        raise
    except budget.OverBudget as over:
        logger.warning("Mail %s to %s is over its budget (%s); set aside.", key, mailbox, over)
        return Taken(_set_aside(mailbox, raw, key, source, SetAsideReason.OVER_BUDGET, over))
    except Exception as error:  # noqa: BLE001 - a message Attenda cannot handle is still kept.
        logger.exception("Mail %s to %s could not be handled; set aside.", key, mailbox)
        return Taken(_set_aside(mailbox, raw, key, source, SetAsideReason.FAILED, error, parsed))


def _keep_waiting(
    mail: InboundMail, parsed: ParsedMail | MailHead, envelope_recipients: Sequence[str]
) -> None:
    """Keeps mail that may be a delivery report, or is costly to read (then only its head was
    read), waiting for the worker (``read_waiting``), with what the rest of its taking needs:
    reading a report was most of the cost of taking one, and seven mails in ten are reports; a
    costly mail's reading is what would stall the intake. Queued with the caller's transaction."""
    _describe(mail, parsed)
    mail.state = MailState.READING
    mail.envelope_recipients = list(envelope_recipients)
    _write(mail)
    WAITING_READER.after_commit()


def _report(raw: bytes, may_be_one: bool) -> Bounce | None:
    """The delivery report or complaint the mail is, read only when it may be one."""
    bounce = read_bounce(raw[:REPORT_READ_LIMIT]) if may_be_one else None
    budget.check("reading a delivery report")
    return bounce


def _returned(bounce: Bounce | None) -> bool:
    """Whether the mail is a report of mail that did not arrive (not a complaint with nobody
    named, not an auto-reply saying someone is away)."""
    return bool(
        bounce is not None and bounce.recipients and bounce.recipients[0].reason != "vacation"
    )


def _describe(mail: InboundMail, parsed: ParsedMail | MailHead) -> str:
    """Fills the mail's row from the message, whose bytes are kept already (written ahead of the
    transaction that takes it); returns the sender's address. From a head alone: a costly mail
    kept waiting (the worker's reading fills it again), or a returned mail the worker read."""
    sender = parsed.sender.address.lower() if parsed.sender and parsed.sender.address else ""
    mail.sender = sender[:320]
    mail.subject = parsed.subject[:SUBJECT_KEPT]
    mail.problems = list(parsed.problems)
    mail.set_aside_reason = ""
    return sender


def _take(
    mail: InboundMail,
    raw: bytes,
    parsed: ParsedMail | MailHead,
    bounce: Bounce | None,
    envelope_recipients: Sequence[str] = (),
    *,
    reusing: InboundMail | None = None,
    may_acknowledge: bool = True,
    read: "ReadForTicket | None" = None,
) -> None:
    """What becomes of a message, ``bounce`` what it says as a report: a delivery report, held, set
    aside for its unclear sender, or put on a ticket. Taking mail, reading the mail kept waiting
    and reprocessing the unprocessable store all come through here. ``parsed`` is the head alone
    only for a returned mail (``_returned``), whose row is all it writes; ``read``: the mail's
    ``read_for_ticket``, read before the caller's transaction."""
    sender = _describe(mail, parsed)
    if _returned(bounce):
        mail.state = MailState.BOUNCE
        _write(mail)
        _record_bounce(mail, bounce)
        return
    if parsed.sender_doubt:
        # Answering or filing the mail would mean guessing who wrote it: a person decides.
        mail.state = MailState.UNPROCESSABLE
        mail.set_aside_reason = SetAsideReason.UNCLEAR_SENDER
        mail.problems.append(parsed.sender_doubt)
        _write(mail)
        audit.record(actor=None, action="mail.set_aside", target=mail, reason=parsed.sender_doubt)
        return
    if sender and _flooding(mail, sender):
        mail.state = MailState.HELD
        _write(mail)
        audit.record(actor=None, action="mail.held", target=mail, sender=sender)
        return
    mail.state = MailState.TAKEN
    if reusing is not None:
        mail.problems.append(f"its Message-ID was taken already by another message (#{reusing.pk})")
    _write(mail)
    ticket_entry(mail, parsed, raw, envelope_recipients, may_acknowledge=may_acknowledge, read=read)
    if reusing is not None:
        services.add_event(
            ticket=mail.entry.ticket,
            body=_(
                "This message came with the Message-ID of an earlier, different message "
                "(%(message_id)s); it was taken as the new message it is."
            )
            % {"message_id": parsed.message_id},
            data={"mail": mail.pk, "reused_by": reusing.pk},
        )
    budget.check("putting it on its ticket")


def _write(mail: InboundMail) -> None:
    """A new mail's row in one written-out INSERT (every message writes one); a mail read by the
    worker, or of the unprocessable store taken again, in one written-out UPDATE (the ORM's
    ``save()`` was a tenth of the worker's time reading kept mail)."""
    if mail._state.adding:
        insert(mail)
    else:
        update(mail)


def _set_aside(
    mailbox: Mailbox,
    raw: bytes,
    key: str,
    source: str,
    reason: SetAsideReason,
    error: BaseException | None,
    parsed: ParsedMail | MailHead | None = None,
) -> InboundMail:
    """Keeps, byte for byte, a message that could not be handled, in the unprocessable store where
    admins read, download and reprocess it. Raises IntegrityError when ``key`` is taken already."""
    detail = error.detail if isinstance(error, budget.OverBudget) else repr(error)
    sender = parsed.sender.address.lower() if parsed and parsed.sender else ""
    with transaction.atomic():
        mail = InboundMail.objects.create(
            mailbox=mailbox,
            message_id=key,
            sender=sender[:320],
            subject=parsed.subject[:SUBJECT_KEPT] if parsed else "",
            source=source,
            state=MailState.UNPROCESSABLE,
            set_aside_reason=reason,
            raw=services.store_blob(raw),
            problems=[f"Attenda could not handle this message: {detail}"],
        )
        audit.record(actor=None, action="mail.set_aside", target=mail, reason=detail)
    return mail


def take_again(mail: InboundMail, *, sender: Address | None = None) -> InboundMail:
    """Runs a message of the unprocessable store through the intake again, under the same budget;
    ``sender`` is the author a person chose for a message whose From was unclear (it is then not
    acknowledged). Returns the mail in its new state, or set aside again with the new reason."""
    reading = _read_kept(mail, sender=sender)
    _write_read([reading], MailState.UNPROCESSABLE, may_acknowledge=sender is None)
    return reading.mail


def read_waiting(*, seconds: float) -> int:
    """Reads the mail kept waiting to be read (``MailState.READING``: a possible report, or mail
    costly to read), oldest first, until none waits or ``seconds`` have passed; returns how many
    were read. A batch is read (parsed, its report read) outside any transaction and written in
    short transactions of several mails each: a transaction a mail cost the worker more than
    reading a report. A mail the reading fails on goes to the unprocessable store, as it would have
    when taken."""
    deadline = time.monotonic() + seconds
    read = 0
    while time.monotonic() < deadline:
        waiting = list(
            InboundMail.objects.filter(state=MailState.READING)
            .select_related("mailbox", "raw")
            .order_by("received_at", "pk")[:READ_BATCH]
        )
        if not waiting:
            break
        _write_read([_read_kept(mail) for mail in waiting], MailState.READING)
        read += len(waiting)
    return read


@dataclass
class _Reading:
    """A kept mail read outside any transaction: what it is, or why it could not be read."""

    mail: InboundMail
    raw: bytes
    parsed: ParsedMail | MailHead | None = None
    bounce: Bounce | None = None
    read: "ReadForTicket | None" = None
    cpu_seconds: float = 0.0
    failure: tuple[SetAsideReason, str] | None = None


def _read_kept(mail: InboundMail, *, sender: Address | None = None) -> _Reading:
    """Parses a kept mail from its bytes and reads the report it may be, under the budget. Done
    before the transaction: on SQLite, the intake waits for the write lock the worker holds. A
    mail kept waiting as a possible report (not for its cost) is read as a report first: a returned
    mail's row needs only its head (its problems are then the head's: no ticket shows its text), and
    nine in ten such mails are returned ones."""
    with mail.raw.content.open("rb") as source:
        raw = source.read()
    with budget.metered(budget.Meter()) as meter:
        try:
            # take_mail kept it for _may_be_report, unless it was costly to read.
            report_first = (
                sender is None and mail.state == MailState.READING and not costly_to_read(raw)
            )
            bounce = _report(raw, True) if report_first else None
            read = None
            if _returned(bounce):
                parsed = read_head(raw)
            else:
                parsed = parse_message(raw)
                if sender is not None:
                    parsed = replace(parsed, sender=sender, sender_doubt="")
                if not report_first:
                    bounce = _report(raw, _may_be_report(parsed))
                if not _returned(bounce):
                    read = read_for_ticket(parsed, raw)
        except budget.OverBudget as over:
            return _Reading(mail, raw, failure=(SetAsideReason.OVER_BUDGET, over.detail))
        except Exception as error:  # noqa: BLE001 - the message is kept in the store.
            logger.exception("Mail %s could not be handled again.", mail.pk)
            return _Reading(mail, raw, failure=(SetAsideReason.FAILED, repr(error)))
        return _Reading(mail, raw, parsed, bounce, read, meter.spent())


_STILL_WAITING_SQL = "SELECT id FROM email_inboundmail WHERE state = %s AND id IN ({marks}){lock}"


def _write_read(
    readings: Sequence[_Reading], waiting_in: MailState, *, may_acknowledge: bool = True
) -> int:
    """Writes what was read in turns at the write lock (``write_in_turns``); returns how many it
    wrote. A mail that moved on meanwhile (another worker, an admin) is left as it is; a worker
    stopped before a turn's commit leaves that turn's mails waiting, to be read again."""

    def still_waiting(batch: list[_Reading]) -> list[_Reading]:
        # Only the ids: a mail still in its state is as it was read (each turn, often of one mail
        # with a writer waiting, built its 16 rows again: 9% of the worker reading kept mail).
        # Written out: Django built the query in 0.7 ms, under the write lock, for 0.07 ms of SQL.
        ids = [reading.mail.pk for reading in batch]
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with connection.cursor() as cursor:
            cursor.execute(
                _STILL_WAITING_SQL.format(marks=", ".join(["%s"] * len(ids)), lock=lock),
                [waiting_in, *ids],
            )
            waiting = {row[0] for row in cursor.fetchall()}
        return [reading for reading in batch if reading.mail.pk in waiting]

    return write_in_turns(
        readings,
        take=still_waiting,
        write=functools.partial(
            _write_reading, waiting_in=waiting_in, may_acknowledge=may_acknowledge
        ),
        done=lambda _written: None,
    )


def _write_reading(reading: _Reading, waiting_in: MailState, *, may_acknowledge: bool) -> None:
    """What becomes of one mail read, inside the batch's transaction; a mail that fails is rolled
    back alone and set aside in the unprocessable store."""
    mail = reading.mail
    failure = reading.failure
    if failure is None:
        # The budget left after its reading: the batch's other mails are not charged to it.
        with budget.metered(budget.Meter(budget.CPU_SECONDS - reading.cpu_seconds)):
            try:
                with transaction.atomic():
                    _take(
                        mail,
                        reading.raw,
                        reading.parsed,
                        reading.bounce,
                        mail.envelope_recipients,
                        may_acknowledge=may_acknowledge,
                        read=reading.read,
                    )
                return
            except budget.OverBudget as over:
                failure = (SetAsideReason.OVER_BUDGET, over.detail)
            except Exception as error:  # noqa: BLE001 - the message is kept in the store.
                logger.exception("Mail %s could not be handled again.", mail.pk)
                failure = (SetAsideReason.FAILED, repr(error))
        mail.refresh_from_db()
    reason, detail = failure
    first_time = waiting_in == MailState.READING
    mail.state = MailState.UNPROCESSABLE
    mail.set_aside_reason = reason
    mail.problems = [
        *mail.problems,
        f"Attenda could not handle this message: {detail}"
        if first_time
        else f"Attenda could not handle this message again: {detail}",
    ]
    mail.save(update_fields=["state", "set_aside_reason", "problems"])
    if first_time:
        audit.record(actor=None, action="mail.set_aside", target=mail, reason=detail)


def ticket_entry(
    mail: InboundMail,
    parsed: ParsedMail,
    raw: bytes,
    envelope_recipients: Sequence[str] = (),
    *,
    may_acknowledge: bool = True,
    read: "ReadForTicket | None" = None,
) -> None:
    """Puts a kept message on its ticket: threads it, keeps its Cc'd people, acknowledges a new
    ticket unless the mail is automatic. Also used to let held mail through. ``read``: the mail's
    ``read_for_ticket``, when the caller read it before its transaction."""
    mailbox = mail.mailbox
    read = read or read_for_ticket(parsed, raw)
    own, automatic, split, check = read.own, read.automatic, read.split, read.check
    sender = _sender(parsed)
    body = split.new or parsed.text.strip()
    if not body and parsed.parts:
        body = _("(attachments only)")
    recipients = len(parsed.to) + len(parsed.cc)
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
        raw=raw,
        raw_blob_id=mail.raw_id,  # kept with the InboundMail already
        team_id=mailbox.team_id,
        entry_data={
            "mail": mail.pk,
            "quoted": split.quoted,
            "signature": split.signature,
            "automatic": automatic or "",
            "problems": parsed.problems,
            "to": [_display(address) for address in parsed.to[:RECIPIENTS_READ]],
            "cc": [
                _display(address)
                for address in parsed.cc[: max(0, RECIPIENTS_READ - len(parsed.to))]
            ],
            "recipients_not_read": max(0, recipients - RECIPIENTS_READ),
            "authentication": check.as_data(),
        },
    )
    received = services.receive(inbound)
    mail.entry = received.entry
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE email_inboundmail SET entry_id = %s WHERE id = %s", [mail.entry_id, mail.pk]
        )
    _keep_participants(received.ticket, parsed, own, sender, opened=received.opened, check=check)
    if received.opened and not automatic and sender is not None and may_acknowledge:
        from attenda.channels.email.outbound import acknowledge_later

        acknowledge_later.enqueue_with_commit(received.ticket.pk, mailbox.pk, sender.address)


@dataclass(frozen=True)
class ReadForTicket:
    """What putting a mail on its ticket reads of the mail alone: the mailboxes' own addresses,
    why it is automatic (if it is), its reply apart from what it quotes, and its sender's
    authentication. Read before the transaction that writes the mail: on SQLite the write lock is
    held from its start, and a long mail's reply alone held it 8 ms."""

    own: set[str]
    automatic: str | None
    split: ReplyText
    check: SenderCheck


def read_for_ticket(parsed: ParsedMail, raw: bytes) -> ReadForTicket:
    own = _own_addresses()
    sender = _sender(parsed)
    split = split_reply(parsed.text, sender=_display(sender) if sender else "")
    budget.check("finding the reply in the text")
    return ReadForTicket(
        own=own,
        automatic=automatic_reason(parsed.headers, own_addresses=own),
        split=split,
        check=check_sender(raw, sender.address if sender else None),
    )


def _sender(parsed: ParsedMail) -> Address | None:
    return parsed.sender if parsed.sender and parsed.sender.address else None


def _own_addresses() -> set[str]:
    """Every mailbox's address, lower-cased; written out, as Django's building of the query cost
    several times its running on each message."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM email_mailbox")
        return {address.lower() for (address,) in cursor.fetchall()}


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


# Asked of each mail that copies someone (most mail from lists and forwards), so written out.
_KNOWN_SQL = "SELECT value FROM customers_identity WHERE customer_id = %s AND value IN ({marks})"
_TAKING_PART_SQL = " UNION ALL SELECT address FROM tickets_participant WHERE ticket_id = %s AND address IN ({marks})"


def _keep_participants(
    ticket: Ticket,
    parsed: ParsedMail,
    own: set[str],
    sender: Address | None,
    *,
    opened: bool,
    check: SenderCheck,
) -> None:
    """People the customer copied may take part in the ticket, receiving the replies. Never when
    the sender is not verified: a forged From with someone in Cc must not copy them the thread. On a
    new ticket, or more than a few at once, an agent confirms who they are (``confirm_copies``); a
    verified reply on an existing ticket adds the few it copies."""
    sender_address = sender.address.lower() if sender else ""
    addresses: dict[str, str] = {}
    for address in (*parsed.to, *parsed.cc)[:RECIPIENTS_READ]:
        value = address.address.strip().lower()
        mailbox_address, _number = mailbox_and_ticket(value)
        if value and "@" in value and value != sender_address and mailbox_address not in own:
            addresses[value] = address.name
    if not addresses:
        return  # the usual mail: to the mailbox alone
    # Neither the customer's own addresses nor people already taking part.
    marks = ", ".join(["%s"] * len(addresses))
    sql = _KNOWN_SQL.format(marks=marks)
    params = [ticket.customer_id, *addresses]
    if not opened:  # a ticket opened by this mail has nobody taking part yet
        sql += _TAKING_PART_SQL.format(marks=marks)
        params += [ticket.pk, *addresses]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        known = {value for (value,) in cursor.fetchall()}
    new = {value: name for value, name in addresses.items() if value not in known}
    if not new:
        return
    if not check.verified:
        services.add_event(
            ticket=ticket,
            body=_(
                "This mail copied %(addresses)s, who were not added to the ticket: the sender's "
                "address could not be verified."
            )
            % {"addresses": ", ".join(sorted(new))},
            data={"copies_not_added": sorted(new)},
        )
        return
    if opened or len(new) > PARTICIPANTS_ADDED_AT_ONCE:
        services.propose_copies(
            ticket=ticket,
            copies=[{"address": value, "name": name[:200]} for value, name in new.items()],
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
        or REPORT_SUBJECT.search(parsed.subject[:SUBJECT_KEPT])
    )


# Asked of every message with a sender, so written out (inbound_sender_idx).
_FLOODING_SQL = f"""
SELECT COUNT(*) FROM (
    SELECT 1 FROM email_inboundmail
    WHERE mailbox_id = %s AND sender = %s AND received_at >= %s AND id <> %s LIMIT {FLOOD_LIMIT}
) recent
"""  # noqa: S608 - a constant, values as parameters


def _flooding(mail: InboundMail, sender: str) -> bool:
    """Whether the sender wrote too often lately, the mail itself aside (a mail read after it
    was taken in has its row already)."""
    since = connection.ops.adapt_datetimefield_value(clock.now() - FLOOD_WINDOW)
    with connection.cursor() as cursor:
        cursor.execute(_FLOODING_SQL, [mail.mailbox_id, sender, since, mail.pk or 0])
        return cursor.fetchone()[0] >= FLOOD_LIMIT


_BOUNCE_TARGETS_SQL = """
SELECT id, 0, '' FROM email_outboundmail WHERE message_id = %s
UNION ALL SELECT id, customer_id, value FROM customers_identity WHERE kind = %s AND value IN ({marks})
"""  # noqa: S608 - placeholders only


def _bounce_targets(
    message_id: str, addresses: list[str]
) -> tuple[int | None, dict[str, tuple[int, int]]]:
    """The outbound mail with ``message_id``, if any, and the email identities among ``addresses``
    (value → identity id, customer id)."""
    marks = ", ".join(["%s"] * len(addresses)) or "NULL"
    sql = _BOUNCE_TARGETS_SQL.format(marks=marks)
    outbound_id, identities = None, {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [message_id, IdentityKind.EMAIL.value, *addresses])
        for row_id, customer_id, value in cursor.fetchall():
            if value:
                identities[value] = (row_id, customer_id)
            elif message_id:
                outbound_id = row_id
    return outbound_id, identities


def _record_bounce(mail: InboundMail, bounce) -> None:
    """Ties a delivery report to the mail it is about; a hard bounce marks the address undeliverable
    and says so on the ticket."""
    addresses = [recipient.address.strip().lower() for recipient in bounce.recipients]
    # Most reports are about mail and addresses nobody here has: what they name is looked up in
    # one written-out statement, and the mail they are about read whole only when it is found.
    outbound_id, identities = _bounce_targets(bounce.original_message_id or "", addresses)
    outbound = OutboundMail.objects.get(pk=outbound_id) if outbound_id is not None else None
    if outbound is None and addresses and addresses[0] in identities:
        # No Message-ID in the report: the latest mail from this mailbox to that customer.
        outbound = (
            OutboundMail.objects.filter(
                mailbox=mail.mailbox, ticket__customer_id=identities[addresses[0]][1]
            )
            .order_by("-created_at")
            .first()
        )
    now = clock.now()
    for address, recipient in zip(addresses, bounce.recipients, strict=True):
        if recipient.bounce_class == BounceClass.HARD and address in identities:
            Identity.objects.filter(pk=identities[address][0]).update(
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
